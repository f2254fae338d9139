"""SQL.md: every query of the guide runs on the demo warehouse and returns rows.

A query whose first line is ``-- real data only`` (the queries on real Science & Technology
Yearbook tables the demo does not simulate: patents, R&D personnel and expenditure, revisions
between editions) must run without error but may return no rows on the demo.
"""

from __future__ import annotations

import re

import pytest

from agglo import paths

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GUIDE = paths.repo_root() / "SQL.md"
REAL_DATA_ONLY = "-- real data only"


def guide_statements() -> list[str]:
    """The SQL of every ```sql block of the guide, one entry per statement."""
    import duckdb

    blocks = re.findall(r"^```sql\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), re.M | re.S)
    with duckdb.connect() as parser:
        return [s.query.strip() for block in blocks for s in parser.extract_statements(block)]


def test_the_guide_has_queries():
    assert len(guide_statements()) >= 6


@pytest.mark.parametrize("query", guide_statements(), ids=lambda q: " ".join(q.split())[-60:])
def test_guide_query_returns_rows(con, query):
    rows = con.sql(query).limit(1).fetchall()
    if query.startswith(REAL_DATA_ONLY):
        return  # ran without error; the demo holds none of its tables
    assert rows, f"no rows from the SQL.md query:\n{query}"

"""The codebook and the dbt docs behind it: parsing, Stata names, and the warehouse's comments."""

from __future__ import annotations

import html
import re

import pytest

from agglo.analyst.codebook import (
    STATA_RESERVED,
    build_codebook,
    grain_of,
    parse_description,
    stata_names,
    undocumented,
)
from agglo.analyst.db import list_tables
from agglo.analyst.docs import load_docs
from agglo.cli import main


@pytest.mark.parametrize(
    ("text", "label", "unit", "formula", "source", "notes"),
    [
        (
            "GDP per capita, 元/人. Formula: GDP / year-end population. Source: fct_controls "
            "(csy_gdp, csy_population). NULL if missing or ≤ 0.",
            "GDP per capita",
            "元/人",
            "GDP / year-end population",
            "fct_controls (csy_gdp, csy_population)",
            "NULL if missing or ≤ 0",
        ),
        (
            "Gross industrial output of national zones, 元 (printed in 万元 to 2010, 亿元 from "
            "2011). Source: dz_etdz_output gross_output.",
            "Gross industrial output of national zones",
            "元 (printed in 万元 to 2010, 亿元 from 2011)",
            "",
            "dz_etdz_output gross_output",
            "",
        ),
        (
            "LQ_ijt = (q_ijt / q_jt) / (Q_it / Q_t), unitless; NULL when a denominator is missing.",
            "LQ_ijt = (q_ijt / q_jt) / (Q_it / Q_t)",
            "unitless",
            "",
            "",
            "NULL when a denominator is missing",
        ),
        ("Data year (integer).", "Data year (integer)", "", "", "", ""),
        ("T, T1 … T5.", "T, T1 … T5", "", "", "", ""),
        (
            "Covariance estimator (e.g. clustered (entity); two-step, robust).",
            "Covariance estimator (e.g. clustered (entity); two-step, robust)",
            "",
            "",
            "",
            "",
        ),
        ("education, students per teacher.", "education", "students per teacher", "", "", ""),
        ("Provinces in the sample, count.", "Provinces in the sample", "count", "", "", ""),
    ],
)
def test_parse_description(text, label, unit, formula, source, notes):
    parsed = parse_description(text)
    assert (parsed.label, parsed.unit, parsed.formula, parsed.source, parsed.notes) == (
        label,
        unit,
        formula,
        source,
        notes,
    )


def test_grain():
    assert grain_of("Location quotients. Grain: one row per province × year. LQ = …") == (
        "one row per province × year"
    )
    assert grain_of("The provinces, one row per province (seed dim_province): codes.") == (
        "one row per province (seed dim_province)"
    )
    assert grain_of("No grain here.") == ""


def test_stata_names_are_valid_unique_and_stable():
    columns = ["year", "table", "in", "2sls_coef", "ln gdp", "x" * 40, "x" * 40 + "y", "_N", "Year"]
    names = stata_names(columns)
    assert names["year"] == "year" and names["table"] == "table"  # valid names keep their spelling
    assert names["in"] == "in_" and names["_N"] == "_N_"
    assert names["2sls_coef"] == "_2sls_coef" and names["ln gdp"] == "ln_gdp"
    assert names["x" * 40] == "x" * 32 and names["x" * 40 + "y"] == "x" * 30 + "_2"
    assert names["Year"] == "Year_2"  # Stata names differ by more than case here: keep them apart
    for name in names.values():
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", name) and name not in STATA_RESERVED
    assert len({n.lower() for n in names.values()}) == len(columns)


def test_docs_are_read_from_any_yml_file(tmp_path):
    """File names do not matter; models, seeds and sources are placed in their schema."""
    (tmp_path / "dbt_project.yml").write_text(
        "name: p\nmodels:\n  p:\n    gold:\n      +schema: marts\nseeds:\n  p:\n    +schema: ref\n",
        encoding="utf-8",
    )
    (tmp_path / "models" / "gold" / "deep").mkdir(parents=True)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "models" / "gold" / "deep" / "anything.yml").write_text(
        """
models:
  - name: m_city
    config: {alias: dim_city}
    description: Cities, one row per city.
    columns:
      - name: city_code
        description: Code.
      - name: kind
        description: Kind.
        data_tests:
          - accepted_values:
              arguments: {values: [big, small]}
sources:
  - name: out
    tables:
      - name: fits
        columns:
          - name: city
            data_tests:
              - relationships: {to: ref('m_city'), field: city_code}
""",
        encoding="utf-8",
    )
    (tmp_path / "seeds" / "x.yml").write_text(
        "seeds:\n  - name: codes\n    description: Seeded.\n", encoding="utf-8"
    )
    docs = load_docs(tmp_path)
    city = docs.lookup("marts", "dim_city")
    assert city and city.kind == "model" and city.name == "m_city"
    assert city.columns["kind"].accepted_values == ("big", "small")
    assert docs.lookup("out", "fits").columns["city"].references == ("m_city", "city_code")
    assert docs.lookup("ref", "codes").description == "Seeded."
    assert docs.lookup("marts", "codes") is None


# ------------------------------------------------------------------ on the demo warehouse


@pytest.mark.e2e
@pytest.mark.slow
def test_every_mart_and_results_column_is_documented(con):
    codebook = build_codebook(con)
    assert {t.schema for t in codebook.tables} == {"marts", "results"}
    assert undocumented(codebook) == []
    panel = codebook.table("marts.fct_estimation_panel")
    assert panel.grain.startswith("one row per province × year × industry")
    assert panel.column("pgdp").parsed.unit == "元/人"


@pytest.mark.e2e
@pytest.mark.slow
def test_persist_docs_puts_the_descriptions_into_the_warehouse(con):
    """duckdb_columns().comment of every mart column is its dbt description."""
    docs = load_docs()
    for schema, table in list_tables(con, ("marts",)):
        rel = docs.lookup(schema, table)
        assert rel is not None, f"{schema}.{table} is not documented"
        comments = dict(
            con.execute(
                "select column_name, comment from duckdb_columns() "
                "where schema_name = ? and table_name = ?",
                [schema, table],
            ).fetchall()
        )
        for name, comment in comments.items():
            assert " ".join((comment or "").split()) == rel.columns[name].description, name
        (table_comment,) = con.execute(
            "select comment from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0]
        assert " ".join((table_comment or "").split()) == rel.description


@pytest.mark.e2e
@pytest.mark.slow
def test_agglo_codebook_lists_every_mart_column(warehouse, con, tmp_path):
    assert main(["codebook", "--warehouse", str(warehouse), "--out", str(tmp_path)]) == 0
    markdown = (tmp_path / "codebook.md").read_text(encoding="utf-8")
    page = (tmp_path / "codebook.html").read_text(encoding="utf-8")
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema in ('marts', 'results')"
    ).fetchall()
    assert columns
    for schema, table, column in columns:
        section = markdown.split(f"\n## {schema}.{table}\n", 1)[1].split("\n## ", 1)[0]
        assert f"| `{column}` |" in section, (schema, table, column)
        assert f"<code>{html.escape(column)}</code>" in page
    assert "http" not in page.split("<body>", 1)[0]  # self-contained: nothing from the network

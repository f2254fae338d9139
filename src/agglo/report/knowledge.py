"""The report's "Knowledge production (real data)" section, from the tidy results.

Built from the rows of ``results.estimates`` / ``results.models`` of the knowledge-production spec's
tables (``estimation/specs/knowledge_production.yml``, table 101), which ``agglo build`` writes only
when the warehouse holds real-data rows in ``marts.fct_innovation_indicators``. No rows, no section:
:func:`knowledge_section` returns None.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from agglo.report.html import num

ESTIMATOR_HEADS = {"fe": "FE (province + year)", "sys_gmm": "System GMM (dynamic)", "3sls": "3SLS"}

# (label, models column, format) of the fit rows under the coefficients.
FIT_ROWS = [
    ("observations", "nobs", "d"),
    ("provinces", "n_groups", "d"),
    ("rows dropped (missing / not positive)", "n_dropped", "d"),
    ("within R²", "r2", ".3f"),
    ("instruments", "n_instruments", "d"),
    ("AR(2) p", "ar2_p", ".3f"),
    ("Hansen p", "hansen_p", ".3f"),
]


def _stars(n: Any) -> str:
    return "*" * int(n) if num(n, "d") else ""


def knowledge_section(
    estimates: pd.DataFrame, models: pd.DataFrame, titles: dict[int, str]
) -> dict[str, Any] | None:
    """Heads, rows and notes of the section (one block per table), or None without estimates.

    Time dummies of the GMM fits (terms not in every column) are summarised as "year effects"
    rather than listed; coefficients show stars (``*`` p < 10%, ``**`` 5%, ``***`` 1%) and the
    standard error below in parentheses.
    """
    if estimates is None or estimates.empty:
        return None
    blocks = []
    for number, est in estimates.groupby("table", sort=True):
        est = est[est["reported"].astype(bool)]
        mod = models[(models["table"] == number) & models["reported"].astype(bool)]
        columns = _columns(est)
        heads = [
            ESTIMATOR_HEADS.get(str(est.loc[est["column_id"] == c, "estimator"].iloc[0]), c)
            for c in columns
        ]
        terms = _terms(est)
        rows: list[dict[str, Any]] = []
        for term in terms:
            coef, se = [], []
            for c in columns:
                r = est[(est["column_id"] == c) & (est["term"] == term)]
                if r.empty:
                    coef.append("")
                    se.append("")
                    continue
                r = r.iloc[0]
                coef.append(f"{num(r['coef'], '.3f')}{_stars(r['stars'])}")
                se.append(f"({num(r['std_err'], '.3f')})")
            rows.append({"kind": "coef", "label": term, "cells": coef})
            rows.append({"kind": "stat", "label": "", "cells": se})
        dummies = [
            "yes" if (est[est["column_id"] == c]["term"].str.startswith("year_")).any() else ""
            for c in columns
        ]
        estimators = [str(est.loc[est["column_id"] == c, "estimator"].iloc[0]) for c in columns]
        effects = [
            "yes" if e == "fe" or d else "" for e, d in zip(estimators, dummies, strict=True)
        ]
        rows.append({"kind": "diag", "label": "year effects", "cells": effects})
        for label, field, fmt in FIT_ROWS:
            cells = []
            for c in columns:
                m = mod[mod["column_id"] == c]
                cells.append(num(m[field].iloc[0], fmt) if len(m) else "")
            if any(cells):
                rows.append({"kind": "diag", "label": label, "cells": cells})
        notes = []
        for c in columns:
            m = mod[mod["column_id"] == c]
            warnings = m["warnings"].iloc[0] if len(m) else None  # a list, or an array from DuckDB
            for w in [] if warnings is None else list(warnings):
                notes.append(f"{c}: {w}")
            if len(m) and m["status"].iloc[0] != "ok":
                notes.append(f"{c}: fit {m['status'].iloc[0]}")
        blocks.append(
            {
                "number": int(number),
                "title": titles.get(int(number), f"Table {number}"),
                "heads": heads,
                "rows": rows,
                "notes": notes,
            }
        )
    return {"blocks": blocks}


def _columns(est: pd.DataFrame) -> list[str]:
    """Column ids, FE before system GMM before anything else."""
    order = {"fe": 0, "sys_gmm": 1}
    first = est.drop_duplicates("column_id")
    keyed = sorted(
        zip(first["estimator"], first["column_id"], strict=True),
        key=lambda r: (order.get(str(r[0]), 9), str(r[1])),
    )
    return [c for _, c in keyed]


def _terms(est: pd.DataFrame) -> list[str]:
    """Terms in estimation order (the widest column's first), the constant last, without time
    dummies (shown as one "year effects" row)."""
    sizes = est.groupby("column_id")["term"].count().sort_values(ascending=False, kind="stable")
    terms: list[str] = []
    for c in sizes.index:
        for t in est[est["column_id"] == c].sort_values("term_order")["term"]:
            if t not in terms and not str(t).startswith("year_"):
                terms.append(str(t))
    return [t for t in terms if t != "const"] + (["const"] if "const" in terms else [])

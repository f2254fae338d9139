"""Tables 1–8 with agreement marks, the diagnostics table, and their CSV / LaTeX / Markdown files.

The paper layout itself (rows, columns, cell text, notes) comes from :mod:`estimation.tables`;
this module only adds, per column, an *agreement* sub-column: on a coefficient row the mark
(:mod:`agglo.report.agreement`), on its statistic row the difference ours − paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from agglo.report import agreement as ag
from estimation.spec import Spec
from estimation.tables import (
    DIAGNOSTIC_ROWS,
    ESTIMATOR_LABELS,
    notes_text,
    table_grid,
    term_label,
    to_latex,
    to_markdown,
)

AGREEMENT = "agreement"
AGREEMENT_LEGEND = (
    "Agreement (per coefficient, ours vs paper): sign ✓/✗ = same/opposite sign; stars ✓ = same "
    "significance level, else ours vs paper; Δ = ours − paper."
)
_DIAGNOSTIC_LABELS = {label for _, label in DIAGNOSTIC_ROWS}
COLOUR_LEGEND = "Green: same sign and stars; amber: same sign, different stars; red: opposite sign."


@dataclass
class PaperTable:
    number: int
    title: str
    grid: pd.DataFrame  # estimation.tables.table_grid: columns (head, ours|paper)
    notes: list[str]
    legend: str
    full: pd.DataFrame  # grid plus (head, agreement) columns
    status: pd.DataFrame  # agreement status per (row position, head); "" where none
    summary: dict

    @property
    def heads(self) -> list[str]:
        return list(dict.fromkeys(h for h, _ in self.grid.columns))


def build_table(
    number: int,
    estimates: pd.DataFrame,
    models: pd.DataFrame,
    published: pd.DataFrame,
    agreements: pd.DataFrame,
    spec: Spec,
) -> PaperTable:
    grid, notes = table_grid(number, estimates, models, spec=spec, published=published)
    table = spec.table(number)
    heads = list(dict.fromkeys(h for h, _ in grid.columns))
    by_label = {term_label(t): t for c in table.columns for t in c.reported_equation.terms}
    agree = agreements[agreements["table"] == number].set_index(["column_id", "term"])

    marks = pd.DataFrame("", index=range(len(grid)), columns=heads)
    status = pd.DataFrame("", index=range(len(grid)), columns=heads)
    labels = list(grid.index)
    for head, column in zip(heads, table.columns, strict=True):
        for pos, label in enumerate(labels):
            term = by_label.get(label)
            if term is None or (column.column_id, term) not in agree.index:
                continue
            row = agree.loc[(column.column_id, term)]
            if row["status"] == ag.NO_PUBLISHED:
                continue
            marks.loc[pos, head] = row["mark"]
            status.loc[pos, head] = row["status"]
            if pos + 1 < len(labels):  # the statistic row under the coefficient
                marks.loc[pos + 1, head] = row["difference_text"]

    parts = {}
    for head in heads:
        parts[(head, "ours")] = list(grid[(head, "ours")])
        parts[(head, "paper")] = list(grid[(head, "paper")])
        parts[(head, AGREEMENT)] = list(marks[head])
    full = pd.DataFrame(parts, index=grid.index)
    full.columns = pd.MultiIndex.from_tuples(list(parts))

    kinds = estimates.loc[estimates["table"] == number, "stat_kind"].dropna()
    summary = ag.summarise(agreements, [number]).iloc[0].to_dict()
    return PaperTable(
        number=number,
        title=f"Table {number}. {table.title}",
        grid=grid,
        notes=notes,
        legend=notes_text(kinds),
        full=full,
        status=status,
        summary=summary,
    )


def html_rows(table: PaperTable) -> list[dict]:
    """Rows for the HTML template: label, kind (coef|stat|diag) and cells (text, css class)."""
    rows = []
    labels = list(table.full.index)
    coefficient_rows = len(labels) - sum(1 for lab in labels if lab in _DIAGNOSTIC_LABELS)
    for pos, label in enumerate(labels):
        kind = "diag" if pos >= coefficient_rows else ("coef" if pos % 2 == 0 else "stat")
        cells = []
        for head in table.heads:
            css = table.status.loc[pos, head]
            if kind == "stat" and pos > 0:
                css = table.status.loc[pos - 1, head]
            for side in ("ours", "paper", AGREEMENT):
                text = str(table.full[(head, side)].iloc[pos])
                cells.append({"text": text, "css": f"{side} {css}".strip() if css else side})
        rows.append({"label": label, "kind": kind, "cells": cells})
    return rows


def write_table_files(table: PaperTable, out_dir: Path) -> list[Path]:
    """``table_N.csv`` (ours, paper, agreement per column) and ``table_N.tex`` (paper layout)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / f"table_{table.number}.csv"
    flat = table.full.copy()
    flat.columns = [f"{head} | {side}" for head, side in flat.columns]
    flat.index.name = "row"
    flat.to_csv(csv, encoding="utf-8")
    tex = out_dir / f"table_{table.number}.tex"
    tex.write_text(to_latex(table.grid, table.title, table.notes, table.legend), encoding="utf-8")
    return [csv, tex]


def markdown(table: PaperTable) -> str:
    text = to_markdown(table.full, table.title, table.notes, table.legend)
    return text + "\n" + AGREEMENT_LEGEND + "\n"


def column_label(estimator: str, industry: str, region: str) -> str:
    return f"{ESTIMATOR_LABELS.get(estimator, estimator)} {industry} {region}"


def diagnostics_frame(models: pd.DataFrame) -> pd.DataFrame:
    """One row per reported fit: instruments vs groups, AR(2), Sargan, Hansen, Hausman + flags."""
    m = models[models["reported"].astype(bool)].copy()
    if m.empty:
        return pd.DataFrame()
    m = m.sort_values(["table", "estimator", "sample_industry", "sample_region"])
    out = pd.DataFrame(
        {
            "table": m["table"].astype(int),
            "column": [
                column_label(e, i, r)
                for e, i, r in zip(
                    m["estimator"], m["sample_industry"], m["sample_region"], strict=True
                )
            ],
            "status": m["status"],
            "nobs": m["nobs"],
            "groups": m["n_groups"],
            "instruments": m["n_instruments"].where(m["estimator"] == "sys_gmm"),
            "ar2_p": m["ar2_p"],
            "sargan_p": m["sargan_p"],
            "hansen_p": m["hansen_p"],
            "hausman_stat": m["hausman_stat"],
            "hausman_df": m["hausman_df"],
            "hausman_p": m["hausman_p"],
        }
    )
    out["too_many_instruments"] = out["instruments"].notna() & (out["instruments"] > out["groups"])
    for test in ("ar2", "sargan", "hansen", "hausman"):
        out[f"{test}_rejects"] = out[f"{test}_p"].map(ag.rejects)
    return out.reset_index(drop=True)

"""The paper's published values (Tables 1–8) as reference data.

``estimation/reference/published_coefficients.csv`` is a copy of
``../shared/paper/published_coefficients.csv`` (columns and caveats documented in
``../shared/paper/published_coefficients.md``): one row per printed value, numbers kept as the
printed strings (``-0.00``, trailing zeros). :func:`load_published` adds ``column_id`` — the spec's
``<estimator>_<industry>_<region>`` — so published and estimated values join on
``(table, column_id, term)``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REFERENCE_CSV = Path(__file__).resolve().parent / "reference" / "published_coefficients.csv"
SOURCE = (
    "Zhang Ke, 产业集聚与区域创新的双向影响机制及检验, Tables 1–8 "
    "(transcribed as printed; see shared/paper/published_coefficients.md)"
)
DIAGNOSTIC_TERMS = ("ar1", "ar2", "sargan", "adj_r2", "nobs")


def load_published(path: str | Path | None = None) -> pd.DataFrame:
    """The published values: printed strings in ``coef``, ``stat``, ``p_value``; int ``stars``."""
    frame = pd.read_csv(path or REFERENCE_CSV, dtype=str, keep_default_na=False)
    frame["table"] = frame["table"].astype(int)
    frame["stars"] = pd.to_numeric(frame["stars"].replace("", None)).astype("Int64")
    frame["column_id"] = (
        frame["estimator"] + "_" + frame["sample_industry"] + "_" + frame["sample_region"]
    )
    return frame


def published_value(
    published: pd.DataFrame, table: int, column_id: str, term: str
) -> pd.Series | None:
    """The published row for one cell, or None when the paper prints nothing there."""
    rows = published[
        (published["table"] == table)
        & (published["column_id"] == column_id)
        & (published["term"] == term)
    ]
    return None if rows.empty else rows.iloc[0]

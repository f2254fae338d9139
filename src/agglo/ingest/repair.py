"""Repair numbers the scan misread, from the table's row identities (catalog ``identities``).

The yearbook database's numbers were recognised from scans, and a digit is now and then read as a
look-alike character (``368633!``). Such a cell is repaired when all of this holds:

* its text is digits (and a decimal point) except for characters listed in the
  ``ref_scan_confusables`` seed, at least one of them;
* one of the table's identities (``total = part + part + …``) covers its indicator, and every other
  cell of that identity in the same row (same province or aggregate, industry and data year) is a
  number;
* the value the identity gives (the total minus the other parts, or the sum of the parts),
  printed with the cell's decimals, has the printed text's digit count and its digits wherever
  the text shows a digit;
* every identity that can be used gives that value.

The record keeps ``value_raw``, gets the value and ``value_flag = 'repaired'``, and a warning names
the cell, the printed text and the identity. Anything else stays ``invalid`` (the gate rejects it).
"""

from __future__ import annotations

import unicodedata

import pandas as pd

from agglo.ingest.catalog import Identity, TableSpec

REPAIRED = "repaired"


def _pattern(text: str, confusables: set[str]) -> str | None:
    """The text with each confusable character as ``?``; None when other characters remain or no
    character is confusable (then the cell is not a scan misreading of a number)."""
    t = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    out = "".join("?" if ch in confusables else ch for ch in t)
    body = out[1:] if out[:1] == "-" else out
    if "?" not in body or body.count(".") > 1 or body.strip(".") != body:
        return None
    if not all(ch.isdigit() or ch in "?." for ch in body):
        return None
    return out


def _agrees(value: float, pattern: str) -> bool:
    """True when ``value`` printed with the pattern's decimals has its digits where it shows one."""
    decimals = len(pattern.split(".")[1]) if "." in pattern else 0
    printed = f"{value:.{decimals}f}"
    if printed.startswith("-0") and float(printed) == 0:
        printed = printed[1:]
    if len(printed) != len(pattern):
        return False
    return all(p == "?" or p == c for p, c in zip(pattern, printed, strict=True))


def _recover(identity: Identity, indicator: str, row: dict) -> float | None:
    """The identity's value for ``indicator`` from the other cells of the row (None: one is not a
    number)."""
    others = [i for i in identity.indicators if i != indicator]
    values = [row.get(i) for i in others]
    if any(v is None or pd.isna(v) for v in values):
        return None
    if indicator == identity.total:
        return float(sum(values))
    total, *parts = values  # the total comes first in identity.indicators
    return float(total - sum(parts))


def repair_misreadings(
    records: pd.DataFrame, table: TableSpec, confusables: set[str]
) -> tuple[pd.DataFrame, list[str]]:
    """(records with repairable ``invalid`` cells repaired, one warning per repair)."""
    invalid = records.index[records["value_flag"] == "invalid"]
    if not len(invalid) or not table.identities:
        return records, []
    key_cols = ["entity_kind", "province_code", "aggregate_code", "industry_code", "data_year"]
    keys = records[key_cols].astype(object).where(records[key_cols].notna(), None)
    row_key = [tuple(k) for k in keys.itertuples(index=False)]
    rows: dict[tuple, dict[str, float]] = {}
    for key, ind, value in zip(row_key, records["indicator"], records["value"], strict=True):
        rows.setdefault(key, {})[ind] = value
    out = records.copy()
    warnings = []
    for i in invalid:
        rec = records.loc[i]
        raw = str(rec["value_raw"])
        pattern = _pattern(raw, confusables)
        if pattern is None:
            continue
        row = rows[row_key[records.index.get_loc(i)]]
        used = [
            (identity, value)
            for identity in table.identities
            if rec["indicator"] in identity.indicators
            and (value := _recover(identity, rec["indicator"], row)) is not None
        ]
        if not used or not all(_agrees(v, pattern) for _, v in used):
            continue
        decimals = len(pattern.split(".")[1]) if "." in pattern else 0
        values = {round(v, decimals) for _, v in used}
        if len(values) != 1:
            continue
        value = values.pop()
        out.loc[i, "value"] = value
        out.loc[i, "value_flag"] = REPAIRED
        names = "; ".join(str(identity) for identity, _ in used)
        warnings.append(
            f"{rec['source_sheet']}!{rec['source_cell']}: {raw!r} ({rec['name_raw'].strip()}, "
            f"{rec['indicator']}) is not a number; repaired to {value:.{decimals}f} from the "
            f"identity {names} (a scan misreading of a digit; check the cell against "
            "the printed yearbook)"
        )
    return out, warnings

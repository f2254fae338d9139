"""The frames the suites validate, computed from a parsed file and reference frames.

* ``records``: one row per cell, with ``value_base`` (the value in its base unit, through the
  ``ref_unit_factors`` seed), ``row_key`` (province|aggregate, industry, indicator, year), the
  indicator's plausible bounds, and ``yoy_factor`` (the largest ratio to the same series in the
  neighbouring years, from the ``neighbours`` frame the caller read from the warehouse);
* ``groups``: one row per (data year, industry, indicator): distinct provinces, the province sum
  against the printed national total (``total_gap``: how far beyond the reconciliation tolerance
  they miss), and the years the file name and title rows print (read by the ingest layer);
* ``rows``: one row per printed row and ``not_above`` pair (A, B), the pair's values side by side
  (``a_value``, ``b_value``; base units).

Bounds, expected provinces and the other per-table rules are columns, so that one expectation
covers the rows of every table (:mod:`agglo.quality.suite`).

The reconciliation tolerance is the rule dbt's ``int_national_totals_reconciled`` applies too: half
a unit of the last printed digit of every province cell and of the national cell, plus
``reconciliation_relative_tolerance`` (``dbt_project.yml``) times the national total.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from agglo.ingest.parsed import ParsedFile
from agglo.quality.rules import TableRules
from agglo.refdata import RefData

PAIR_COLUMNS = [
    "source_sheet", "source_row", "name_raw", "data_year", "pair", "a_name", "b_name", "a_value",
    "b_value",
]  # fmt: skip
NEIGHBOUR_COLUMNS = ["province_code", "industry_code", "indicator", "data_year", "value", "unit"]


def _decimals(raw: str | None) -> int:
    text = str(raw or "").strip().replace(",", "")
    try:
        exp = Decimal(text).as_tuple().exponent
    except (InvalidOperation, ValueError):
        return 0
    return max(0, -exp) if isinstance(exp, int) else 0


def half_unit(raw: str | None) -> float:
    """Half a unit of the last printed digit of a cell's text (``'827.70'`` → 0.005)."""
    return 0.5 * 10 ** -_decimals(raw)


def _documented(rules: TableRules, year, industry, indicator, total, gap, rounding) -> bool:
    """True when ``printed_gaps`` documents this gap: the measured value, within the printed
    rounding of the cells (so a documented gap that changes is reported again)."""
    industry = None if industry is None or pd.isna(industry) else industry
    for ind_key in (industry, None):
        documented = rules.printed_gaps.get((int(year), ind_key, indicator, total))
        if documented is not None:
            return abs(gap - documented) <= rounding
    return False


def _blank_not_reported(flags, indicators, table) -> bool:
    """True when a member's blank means not reported (catalog ``blank: not_reported``); the
    members' value flags and indicators as arrays."""
    blanks = {i for f, i in zip(flags, indicators, strict=True) if f == "blank"}
    return any(table.indicator(i).blank == "not_reported" for i in blanks)


def _group_positions(work: pd.DataFrame, keys: list[str]) -> list[np.ndarray]:
    """Row positions per group of ``keys``, in the order and with the rows in the order of
    ``groupby(keys, dropna=False, sort=True)``: the loops below work on numpy arrays, not on a
    frame per group (pandas' per-selection overhead made them the gate's largest cost)."""
    if work.empty:
        return []
    codes = work.groupby(keys, dropna=False, sort=True).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)


def _group_key(col: dict, first: int) -> tuple:
    """(data year, industry, indicator) of a group as pandas' groupby names it (NaN industry)."""
    industry = col["industry_code"][first]
    industry = float("nan") if pd.isna(industry) else industry
    return col["data_year"][first], industry, col["indicator"][first]


def _belt_scheme(rec: pd.DataFrame, rd: RefData) -> tuple[str | None, set[str]]:
    """(scheme, belts printed): the ``ref_belt_members`` scheme whose belts are the ones the file
    prints and under which most subtotals agree with their provinces within half a unit per cell
    (first in seed order on a tie); None when no scheme has those belts."""
    belts = set(rec.loc[rec["entity_kind"] == "aggregate", "aggregate_code"]) - {"national"}
    if not belts:
        return None, belts
    candidates = [n for n, m in rd.belt_schemes.items() if set(m.values()) == belts]
    best, best_score = None, -1
    prov = rec[rec["entity_kind"] == "province"]
    for name in candidates:
        members = rd.belt_schemes[name]
        belt_of = prov["province_code"].map(members)
        sums = prov.groupby([belt_of, prov["data_year"], prov["indicator"]])["value"].sum()
        agree = 0
        for r in rec[rec["aggregate_code"].isin(belts)].itertuples():
            psum = sums.get((r.aggregate_code, r.data_year, r.indicator))
            if (
                psum is not None
                and pd.notna(r.value)
                and abs(psum - r.value) <= max(1.0, 1e-6 * abs(r.value))
            ):
                agree += 1
        if agree > best_score:
            best, best_score = name, agree
    return best, belts


# the columns the per-group loops below read
_GROUP_COLUMNS = [
    "data_year", "industry_code", "indicator", "entity_kind", "province_code", "aggregate_code",
    "value", "value_raw", "value_flag", "unit", "vintage", "source_cell", "source_sheet",
    "source_row",
]  # fmt: skip


def _for_groups(rec: pd.DataFrame) -> pd.DataFrame:
    """The columns the per-group loops read, text as plain Python objects: selecting rows of
    Arrow-backed text columns costs a pyarrow call per column and selection, which made these
    loops the gate's largest cost once Great Expectations ran once per load."""
    work = rec[[c for c in _GROUP_COLUMNS if c in rec]]
    text = [c for c in work if pd.api.types.is_string_dtype(work[c])]
    return work.astype(dict.fromkeys(text, object))


def build_totals(rec: pd.DataFrame, rules: TableRules, rd: RefData) -> pd.DataFrame:
    """One row per printed total (全国 and each belt) × data year × industry × indicator: the sum of
    the provinces it covers against the printed value.

    ``rounding_gap``: |sum − printed| beyond half a unit of the last printed digit of every cell
    (a gap the printed rounding cannot explain); ``total_gap``: beyond that plus the shared relative
    tolerance. Both are None for a gap documented in ``printed_gaps`` (with the measured value)
    and where a blank means not reported. Belts cover the provinces of the ``ref_belt_members``
    scheme the file's subtotals follow (:func:`_belt_scheme`).
    """
    table = rules.table
    columns = [
        "data_year", "industry_code", "indicator", "total", "kind", "belt_scheme", "total_cell",
        "source_sheet", "source_row", "printed_total", "member_sum", "gap", "rounding",
        "allowed", "rounding_gap", "total_gap", "documented",
    ]  # fmt: skip
    if table.row_key != "province" or rec.empty:
        return pd.DataFrame(columns=columns)
    rec = _for_groups(rec)
    scheme, belts = _belt_scheme(rec, rd)
    members = rd.belt_schemes.get(scheme, {})
    in_total = (rec["entity_kind"] == "out_of_scope") & rec["aggregate_code"].isin(
        table.national_total_includes
    )
    rows = []
    col = {c: rec[c].to_numpy() for c in rec}
    nan_value = pd.isna(col["value"])
    covers = in_total.to_numpy()
    belt_of = np.array([members.get(c) for c in col["province_code"]], dtype=object)
    for g in _group_positions(rec, ["data_year", "industry_code", "indicator"]):
        first = g[0]
        year, industry, indicator = _group_key(col, first)
        unit = col["unit"][first]
        if unit in rd.units and not rd.units[unit].is_additive:
            continue
        prov = g[col["entity_kind"][g] == "province"]
        blank_zero = table.indicator(indicator).blank == "zero"
        for total in ["national", *sorted(belts)]:
            printed = g[col["aggregate_code"][g] == total]
            if not len(printed):
                continue
            cell = printed[0]
            if total == "national":
                covered = np.concatenate([prov, g[covers[g]]])
            else:
                covered = prov[belt_of[prov] == total]
            value = col["value"][cell]
            if pd.isna(value) and col["value_flag"][cell] == "blank" and blank_zero:
                value = 0.0  # a blank subtotal of blank provinces (东北地区 with nothing)
            if pd.isna(value) or not len(covered):
                continue
            valued = covered[~nan_value[covered]]
            psum = float(col["value"][valued].sum())
            rounding = sum(
                half_unit(c) for c in [*col["value_raw"][valued], col["value_raw"][cell]]
            )
            rounding += 1e-9 * abs(value)  # float noise of stored sums (183277121.29999998)
            allowed = rounding + rules.total_relative_tolerance * abs(value)
            gap = psum - float(value)
            documented = _documented(rules, year, industry, indicator, total, gap, rounding)
            unknown = _blank_not_reported(
                col["value_flag"][covered], col["indicator"][covered], table
            )
            rows.append(
                {
                    "data_year": int(year),
                    "industry_code": industry,
                    "indicator": indicator,
                    "total": total,
                    "kind": "national" if total == "national" else "belt",
                    "belt_scheme": scheme if total != "national" else None,
                    "total_cell": col["source_cell"][cell],
                    "source_sheet": col["source_sheet"][cell],
                    "source_row": int(col["source_row"][cell]),
                    "printed_total": float(value),
                    "member_sum": psum,
                    "gap": gap,
                    "rounding": rounding,
                    "allowed": allowed,
                    "rounding_gap": None if documented or unknown else abs(gap) - rounding,
                    "total_gap": None if documented or unknown else abs(gap) - allowed,
                    "documented": documented,
                }
            )
    out = pd.DataFrame(rows, columns=columns)
    for col in ("rounding_gap", "total_gap", "gap", "printed_total", "member_sum"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out


def build_frames(
    parsed: ParsedFile,
    rules: TableRules,
    rd: RefData,
    neighbours: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(records, groups, rows) frames of a parsed file, as the suites validate them.

    ``neighbours``: province values (``NEIGHBOUR_COLUMNS``) of the same table in the years next to
    the file's, from other files; None or empty when there is nothing to compare with.
    """
    table = rules.table
    rec = parsed.records.copy().reset_index(drop=True)
    units = rd.units
    table_ids = {i.id for i in table.indicators}

    def factor(unit):
        return units[unit].factor_to_base if unit in units else float("nan")

    rec["base_unit"] = [units[u].base_unit if u in units else None for u in rec["unit"]]
    rec["value_base"] = rec["value"] * [factor(u) for u in rec["unit"]]
    inds = rules.indicators
    rec["required"] = [bool(inds[i].required) if i in inds else False for i in rec["indicator"]]
    # a blank the catalog explains (indicator field ``blank``) is recorded, not warned about
    rec["blank_allowed"] = [
        i in table_ids and table.indicator(i).blank is not None for i in rec["indicator"]
    ]
    rec["non_negative"] = [
        bool(inds[i].non_negative) if i in inds else True for i in rec["indicator"]
    ]
    rec["row_key"] = (
        rec["entity_kind"].astype(str)
        + "|"
        + rec["province_code"].fillna(rec["aggregate_code"]).fillna("").astype(str)
        + "|"
        + rec["industry_code"].fillna("").astype(str)
        + "|"
        + rec["indicator"].astype(str)
        + "|"
        + rec["data_year"].astype(str)
    )
    # year on year against the neighbouring years
    rec["yoy_factor"] = float("nan")
    rec["yoy_neighbour"] = None
    nb = neighbours if neighbours is not None else pd.DataFrame(columns=NEIGHBOUR_COLUMNS)
    if not nb.empty:
        nb = nb.assign(nb_base=nb["value"] * [factor(u) for u in nb["unit"]])
        nb["industry_code"] = nb["industry_code"].fillna("")
        lookup = {
            (r.province_code, r.industry_code, r.indicator, int(r.data_year)): r.nb_base
            for r in nb.itertuples()
        }
        factors, which = [], []
        for r in rec.itertuples():
            best, where = float("nan"), None
            if r.entity_kind == "province" and r.value_base and r.value_base > 0:
                for d in (-1, 1):
                    key = (
                        r.province_code,
                        r.industry_code or "",
                        r.indicator,
                        int(r.data_year) + d,
                    )
                    prev = lookup.get(key)
                    if prev is not None and prev > 0:
                        f = max(r.value_base / prev, prev / r.value_base)
                        if not f <= best:
                            best, where = f, f"{int(r.data_year) + d}: {prev:g} {r.base_unit}"
            factors.append(best)
            which.append(where)
        rec["yoy_factor"] = factors
        rec["yoy_neighbour"] = which
    bound = [inds[i].max_yoy_factor if i in inds else float("nan") for i in rec["indicator"]]
    rec["yoy_excess"] = rec["yoy_factor"] / bound
    nan = float("nan")
    is_prov = rec["entity_kind"] == "province"
    for j, name in ((0, "range_min"), (1, "range_max")):
        bounds = [
            inds[i].province_range[j] if i in inds and inds[i].province_range else nan
            for i in rec["indicator"]
        ]
        rec[name] = pd.Series(bounds, index=rec.index, dtype="float64").where(is_prov)

    # one row per (year, industry, indicator)
    fyear, tyear = parsed.file_name_year, parsed.title_year
    rows = []
    names = {code: p.name_short_zh for code, p in rd.provinces.items()}
    keys = ["data_year", "industry_code", "indicator"]
    # rows outside the 31 provinces that the printed national total covers (patent tables: 全国 =
    # provinces + Hong Kong + Macao + Taiwan; catalog field national_total_includes)
    in_total = (rec["entity_kind"] == "out_of_scope") & rec["aggregate_code"].isin(
        table.national_total_includes
    )
    work = _for_groups(rec)
    col = {c: work[c].to_numpy() for c in work}
    nan_value = pd.isna(col["value"])
    covers = in_total.to_numpy()
    nan = float("nan")
    for g in _group_positions(work, keys):
        first = g[0]
        year, industry, indicator = _group_key(col, first)
        is_prov = col["entity_kind"][g] == "province"
        prov = g[is_prov]
        nat = g[col["aggregate_code"][g] == "national"]
        present = {c for c in col["province_code"][prov] if not pd.isna(c)}
        valued = np.concatenate([prov, g[covers[g]]])
        valued = valued[~nan_value[valued]]
        psum = float(col["value"][valued].sum()) if len(valued) else nan
        total = float(col["value"][nat[0]]) if len(nat) and not nan_value[nat].all() else None
        rule = inds.get(indicator)
        unit = col["unit"][nat[0] if len(nat) else first]
        # rates, percentages, per-person values are not sums (is_additive, ref_unit_factors seed)
        additive = units[unit].is_additive if unit in units else True
        gap = None
        if total is not None and len(valued) and table.row_key == "province" and additive:
            cells = [*col["value_raw"][valued], col["value_raw"][nat[0]]]
            rounding = sum(half_unit(c) for c in cells)
            allowed = rounding + rules.total_relative_tolerance * abs(total)
            gap = abs(psum - total) - allowed
            if _documented(rules, year, industry, indicator, "national", psum - total, rounding):
                gap = None  # a gap the yearbook really prints, explained in printed_gaps
            if _blank_not_reported(col["value_flag"][prov], col["indicator"][prov], table):
                gap = None  # a province's blank is unknown, not 0: nothing to reconcile
        f = (
            factor(col["unit"][nat[0]])
            if total is not None
            else factor(col["unit"][valued[0]] if len(valued) else None)
        )
        # the printed national total, else (for additive indicators) the sum of the provinces
        shown = total if total is not None else (psum if additive else nan)
        total_base = shown * f
        rows.append(
            {
                "data_year": int(year),
                "vintage": int(col["vintage"][g].max()),
                "industry_code": industry,
                "indicator": indicator,
                "required": bool(rule.required) if rule else False,
                "n_provinces": len(present),
                "missing_provinces": ", ".join(names[c] for c in sorted(set(names) - present)),
                "province_sum": psum,
                "printed_total": total,
                "total_cell": col["source_cell"][nat[0]] if len(nat) else None,
                "total_gap": gap,
                "total_base": total_base,
                "total_min": rule.total_range[0] if rule and rule.total_range else None,
                "total_max": rule.total_range[1] if rule and rule.total_range else None,
                "unit": unit,
                "file_name_year": fyear,
                "title_year": tyear,
            }
        )
    groups = pd.DataFrame(rows)
    groups["expected_provinces"] = rules.expected_provinces
    # one row per printed row and not_above pair: the pair's values side by side, so that one
    # expectation covers every pair of every table
    wanted = {c for pair in rules.not_above for c in pair}
    wide = (
        rec[rec["indicator"].isin(wanted)]
        .pivot_table(
            index=["source_sheet", "source_row", "name_raw", "data_year"],
            columns="indicator",
            values="value_base",
            aggfunc="first",
        )
        .reset_index()
    )
    pairs = [
        wide[["source_sheet", "source_row", "name_raw", "data_year"]].assign(
            pair=f"{a}<={b}",
            a_name=a,
            b_name=b,
            a_value=wide[a] if a in wide else float("nan"),
            b_value=wide[b] if b in wide else float("nan"),
        )
        for a, b in rules.not_above
        if not wide.empty
    ]
    pairs = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame(columns=PAIR_COLUMNS)
    for col in ("a_value", "b_value"):
        pairs[col] = pairs[col].astype("float64")
    for col in ("file_name_year", "title_year"):
        groups[col] = groups[col].astype("Int64") if not groups.empty else groups.get(col)
    for col in (
        "total_gap",
        "printed_total",
        "total_base",
        "province_sum",
        "total_min",
        "total_max",
    ):
        if col in groups:
            groups[col] = pd.to_numeric(groups[col], errors="coerce").astype("float64")
    return rec, groups, pairs[PAIR_COLUMNS]

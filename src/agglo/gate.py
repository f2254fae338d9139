"""The data-quality gate: every yearbook file is validated after parsing and before publishing.

One Great Expectations suite per catalog table is built from data, not code: the checks and
their severities in ``expectations/defaults.yml``, the table's catalog entry (required and
non-negative indicators, units) and the table's override file ``expectations/<table_id>.yml``
(plausible ranges in base units, bounds). GE validates two pandas frames built from the records:

* ``records``: one row per cell, with pre-computed columns ``value_base`` (value in base units,
  through ``seeds/unit_factors.csv``), ``row_key`` (province|aggregate, industry, indicator, year)
  and ``yoy_factor`` (the largest ratio to the same series in the neighbouring years already in the
  warehouse);
* ``groups``: one row per (data year, industry, indicator), with the number of distinct provinces,
  the province sum against the printed national total (``total_gap``: how far beyond rounding they
  miss), and the file-name and title years.

GE has no "sums to a total" expectation, so the reconciliation is the pre-computed column
``total_gap`` checked with ``expect_column_values_to_be_between(max_value=0)``. ``error`` checks
block the load; ``warning`` checks are reported and recorded (``raw.dq_results``). GE runs on an
ephemeral context built once per process (no network, no ``gx/`` folder).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from agglo import paths
from agglo.catalog import Catalog, TableSpec, load_catalog
from agglo.errors import AggloError, CatalogError
from agglo.refdata import RefData
from agglo.refdata import refdata as default_refdata

SEVERITIES = ("error", "warning")
WHAT = {"min": "at least", "max": "at most"}
NON_ADDITIVE_DIMENSIONS = {"percent", "cny_per_usd"}  # rates: no province sum to reconcile
FRAMES = ("records", "groups", "rows")
_GX_SEVERITY = {"error": "critical", "warning": "warning"}
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_YEAR_IN_TITLE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年|\(((?:19|20)\d{2})\)")
MAX_ROWS_SHOWN = 5


def expectations_dir() -> Path:
    """``expectations/`` of the checkout (``$AGGLO_HOME``), else the one this package came with."""
    here = paths.repo_root() / "expectations"
    if (here / "defaults.yml").is_file():
        return here
    return Path(__file__).resolve().parents[2] / "expectations"


# -- rules: defaults.yml + catalog entry + expectations/<table_id>.yml -----------------------------


@dataclass(frozen=True)
class IndicatorRule:
    id: str
    unit: str
    required: bool
    non_negative: bool
    province_range: tuple[float, float] | None = None
    total_range: tuple[float, float] | None = None
    max_yoy_factor: float | None = None
    additive: bool = True  # provinces sum to the national total (not for rates, percentages)


@dataclass(frozen=True)
class TableRules:
    table: TableSpec
    checks: dict[str, str]  # check name -> severity
    expected_provinces: int
    total_relative_tolerance: float
    indicators: dict[str, IndicatorRule]
    source: str  # files the rules came from
    not_above: tuple[tuple[str, str], ...] = ()  # (A, B): A <= B per row, base units

    def severity(self, check: str) -> str:
        return self.checks[check]


def _read_yaml(path: Path) -> dict:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CatalogError(f"not valid YAML: {exc}", file=str(path)) from None
    if not isinstance(doc, dict):
        raise CatalogError("must be a YAML mapping", file=str(path))
    return doc


def _range(value, where: str, key: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2):
        raise CatalogError(f"{key} must be [min, max]", file=where)
    lo, hi = (float(v) for v in value)
    if lo > hi:
        raise CatalogError(f"{key}: min {lo:g} is above max {hi:g}", file=where)
    return lo, hi


def table_rules(table: TableSpec, directory: Path | None = None, rd: RefData | None = None):
    """The gate's settings for one catalog table (defaults overlaid by its override file)."""
    directory = directory or expectations_dir()
    rd = rd or default_refdata()
    defaults_path = directory / "defaults.yml"
    doc = _read_yaml(defaults_path)
    sources = [defaults_path]
    override_path = directory / f"{table.table_id}.yml"
    override = _read_yaml(override_path) if override_path.is_file() else {}
    if override:
        sources.append(override_path)
    where = str(override_path)
    checks = dict(doc.get("checks") or {})
    for name, sev in (override.get("checks") or {}).items():
        if name not in checks:
            raise CatalogError(f"unknown check {name!r} (known: {', '.join(checks)})", file=where)
        checks[name] = sev
    for name, sev in checks.items():
        if sev not in SEVERITIES:
            raise CatalogError(f"check {name}: severity must be error or warning", file=where)

    def setting(key: str, sub: str | None = None):
        for d in (override, doc):
            value = d.get(key)
            if sub is not None and isinstance(value, dict):
                value = value.get(sub)
            if value is not None:
                return value
        return None

    default_yoy = float(setting("year_on_year", "max_factor") or 10)
    per_indicator = override.get("indicators") or {}
    unknown = set(per_indicator) - {i.id for i in table.indicators}
    if unknown:
        raise CatalogError(
            f"indicators {sorted(unknown)} are not in catalog table {table.table_id}", file=where
        )
    indicators = {}
    for ind in table.indicators:
        conf = per_indicator.get(ind.id) or {}
        iw = f"{where} (indicators.{ind.id})"
        base = conf.get("base_unit")
        if base is not None and ind.unit in rd.units and rd.units[ind.unit].base_unit != base:
            raise CatalogError(
                f"base_unit {base} does not fit the catalog unit {ind.unit} "
                f"(base {rd.units[ind.unit].base_unit})",
                file=iw,
            )
        indicators[ind.id] = IndicatorRule(
            id=ind.id,
            unit=ind.unit,
            required=ind.required,
            non_negative=ind.non_negative,
            province_range=_range(conf.get("province"), iw, "province"),
            total_range=_range(conf.get("total"), iw, "total"),
            max_yoy_factor=float(conf.get("max_yoy_factor") or default_yoy),
            additive=bool(
                conf.get(
                    "additive",
                    not (
                        ind.unit in rd.units
                        and rd.units[ind.unit].dimension in NON_ADDITIVE_DIMENSIONS
                    ),
                )
            ),
        )
    pairs = []
    for pair in override.get("not_above") or []:
        if not (isinstance(pair, list) and len(pair) == 2 and set(pair) <= set(indicators)):
            raise CatalogError(
                f"not_above: {pair!r} must be two indicators of the table", file=where
            )
        pairs.append((pair[0], pair[1]))
    return TableRules(
        not_above=tuple(pairs),
        table=table,
        checks=checks,
        expected_provinces=int(setting("expected_provinces") or 31),
        total_relative_tolerance=float(setting("total_tolerance", "relative") or 0.0),
        indicators=indicators,
        source=", ".join(str(p) for p in sources),
    )


# -- Great Expectations: one ephemeral context per process -----------------------------------------


@cache
def _gx():
    """(gx, gx.expectations, ephemeral context, {frame name: batch definition})."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import logging

    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("yearbook_gate")
    batches = {}
    for name in FRAMES:
        asset = source.add_dataframe_asset(name)
        batches[name] = asset.add_batch_definition_whole_dataframe(f"{name}_frame")
    return gx, gxe, context, batches


@dataclass
class Planned:
    """An expectation of a suite, on which frame, with its check name and severity."""

    frame: str  # records | groups
    check: str
    severity: str
    expectation: object  # a gxe.Expectation
    description: str


def build_suite(rules: TableRules) -> list[Planned]:
    """The table's expectations (a GE suite per frame), generated from its rules."""
    _, gxe, _, _ = _gx()
    from great_expectations.expectations.row_conditions import Column

    plan: list[Planned] = []
    table = rules.table
    provinces = table.row_key == "province"

    def add(frame, check, cls, description, indicator=None, bound=None, **kwargs):
        severity = rules.severity(check)
        meta = {"check": check, "severity": severity, "description": description}
        if indicator:
            meta["indicator"] = indicator
        if bound:
            meta["bound"] = bound
        exp = cls(**kwargs, meta=meta, severity=_GX_SEVERITY[severity])
        plan.append(Planned(frame, check, severity, exp, description))

    def cond(condition) -> dict:
        return {"row_condition": condition}

    add(
        "records",
        "numeric_values",
        gxe.ExpectColumnValuesToNotBeInSet,
        "every cell holds a number (or is blank / marked not available)",
        column="value_flag",
        value_set=["invalid"],
    )
    add(
        "records",
        "required_values_present",
        gxe.ExpectColumnValuesToNotBeInSet,
        "no not-available marker (…, —, -) in a required indicator",
        column="value_flag",
        value_set=["not_available"],
        **cond(Column("required") == True),  # noqa: E712,
    )
    add(
        "records",
        "required_blank_cells",
        gxe.ExpectColumnValuesToNotBeInSet,
        "no blank cell in a required indicator",
        column="value_flag",
        value_set=["blank"],
        **cond(Column("required") == True),  # noqa: E712,
    )
    add(
        "records",
        "unique_keys",
        gxe.ExpectColumnValuesToBeUnique,
        "one value per (province or aggregate, industry, indicator, year)",
        column="row_key",
    )
    add(
        "records",
        "non_negative",
        gxe.ExpectColumnValuesToBeBetween,
        "values are >= 0 for indicators the catalog marks non_negative",
        column="value",
        min_value=0,
        **cond(Column("non_negative") == True),  # noqa: E712,
    )
    add(
        "records",
        "unit_known",
        gxe.ExpectColumnValuesToNotBeNull,
        "every value's unit converts to a base unit (seeds/unit_factors.csv)",
        column="base_unit",
        **cond(Column("value").is_not_null()),
    )
    # Ranges differ per indicator; they are data (the override file), written into bound columns
    # of the frames so that four expectations cover every indicator (one per indicator and bound
    # costs GE ~40 ms each). The offending rows name the indicator and its bounds.
    ranged = [i for i in rules.indicators.values() if i.province_range]
    if ranged and provinces:
        for a, b, what in (
            ("value_base", "range_min", "min"),
            ("range_max", "value_base", "max"),
        ):
            add(
                "records",
                "plausible_range",
                gxe.ExpectColumnPairValuesAToBeGreaterThanB,
                f"each province value {WHAT[what]} its indicator's plausible bound (base "
                "units; expectations/<table_id>.yml)",
                bound=what,
                column_A=a,
                column_B=b,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
    if any(i.total_range for i in rules.indicators.values()):
        for a, b, what in (
            ("total_base", "total_min", "min"),
            ("total_max", "total_base", "max"),
        ):
            add(
                "groups",
                "total_range",
                gxe.ExpectColumnPairValuesAToBeGreaterThanB,
                f"the national total {WHAT[what]} its indicator's plausible bound (base "
                "units; expectations/<table_id>.yml)",
                bound=what,
                column_A=a,
                column_B=b,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
    for a, b in rules.not_above:
        add(
            "rows",
            "indicator_not_above",
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            f"{a} <= {b} in every row (swapped or shifted columns break it)",
            indicator=f"{a}<={b}",
            column_A=b,
            column_B=a,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
    if provinces:
        n = rules.expected_provinces
        add(
            "groups",
            "provinces_complete",
            gxe.ExpectColumnValuesToBeBetween,
            f"{n} distinct provinces per required indicator, industry and year",
            column="n_provinces",
            min_value=n,
            max_value=n,
            **cond(Column("required") == True),  # noqa: E712,
        )
        add(
            "groups",
            "provinces_sum_to_total",
            gxe.ExpectColumnValuesToBeBetween,
            "provinces add up to the printed national total within rounding (total_gap <= 0)",
            column="total_gap",
            max_value=0,
        )
        add(
            "records",
            "year_on_year_jump",
            gxe.ExpectColumnValuesToBeBetween,
            "change against the neighbouring years in the warehouse within the indicator's bound "
            "(yoy_excess = factor / bound <= 1)",
            column="yoy_excess",
            max_value=1,
        )
    add(
        "groups",
        "data_year_matches_file_name",
        gxe.ExpectColumnPairValuesToBeEqual,
        "data year (of the edition, for tables with one column per year) equals the year in the "
        "file name",
        column_A="vintage",
        column_B="file_name_year",
        ignore_row_if="either_value_is_missing",
    )
    add(
        "groups",
        "data_year_matches_title",
        gxe.ExpectColumnPairValuesToBeEqual,
        "data year (of the edition) equals the year printed in the title rows",
        column_A="vintage",
        column_B="title_year",
        ignore_row_if="either_value_is_missing",
    )
    return plan


@cache
def _suites(table: TableSpec, expectations: str):
    """(rules, plan, {frame: GE suite}) of a table, built once per process."""
    gx, _, context, _ = _gx()
    table_id = table.table_id
    rules = table_rules(table, Path(expectations))
    plan = build_suite(rules)
    suites = {}
    for frame in FRAMES:
        name = f"{table_id}.{frame}"
        with contextlib.suppress(Exception):  # not there yet
            context.suites.delete(name)
        suite = gx.ExpectationSuite(name=name, meta={"rules": rules.source})
        for p in plan:
            if p.frame == frame:
                suite.add_expectation(p.expectation)
        suites[frame] = context.suites.add(suite)
    return rules, plan, suites


# -- frames ----------------------------------------------------------------------------------------


def _decimals(raw: str | None) -> int:
    text = str(raw or "").strip().replace(",", "")
    try:
        exp = Decimal(text).as_tuple().exponent
    except (InvalidOperation, ValueError):
        return 0
    return max(0, -exp) if isinstance(exp, int) else 0


def file_name_year(path: str | Path, table: TableSpec) -> int | None:
    if table.data_year.source == "row":
        return None
    m = _YEAR_IN_NAME.search(Path(path).name)
    return int(m.group(1)) + table.data_year.offset if m else None


def title_year(sheets, table: TableSpec, rows: int = 4) -> int | None:
    """Year printed in the first rows (title lines) of the first sheet holding text, if any."""
    if table.data_year.source == "row" or not sheets:
        return None
    from agglo.parse import squash

    for sheet in sheets:
        cells = [squash(c) for row in sheet.rows[:rows] for c in row if c]
        if not cells:
            continue
        m = _YEAR_IN_TITLE.search(" | ".join(cells))
        return int(m.group(1) or m.group(2)) + table.data_year.offset if m else None
    return None


def _neighbours(con, table_id: str, rel: str, years: list[int]) -> pd.DataFrame:
    """Province values of the neighbouring years already in the warehouse (other files)."""
    cols = ["province_code", "industry_code", "indicator", "data_year", "value", "unit"]
    if con is None or not years:
        return pd.DataFrame(columns=cols)
    wanted = sorted({y + d for y in years for d in (-1, 1)} - set(years))
    return con.execute(
        f"SELECT {', '.join(cols)} FROM raw.records WHERE table_id = ? AND source_file <> ? "
        "AND entity_kind = 'province' AND value IS NOT NULL AND list_contains(?, data_year)",
        [table_id, rel, wanted],
    ).df()


def build_frames(result, path, rules: TableRules, rd: RefData, sheets=None, con=None, rel=None):
    """(records frame, groups frame) that the suites validate."""
    table = rules.table
    rec = result.records.copy().reset_index(drop=True)
    units = rd.units

    def factor(unit):
        return units[unit].factor_to_base if unit in units else float("nan")

    rec["base_unit"] = [units[u].base_unit if u in units else None for u in rec["unit"]]
    rec["value_base"] = rec["value"] * [factor(u) for u in rec["unit"]]
    inds = rules.indicators
    rec["required"] = [bool(inds[i].required) if i in inds else False for i in rec["indicator"]]
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
    # year on year against the warehouse
    rec["yoy_factor"] = float("nan")
    rec["yoy_neighbour"] = None
    nb = _neighbours(con, table.table_id, rel or str(path), list(result.data_years))
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
    fyear = file_name_year(path, table)
    tyear = title_year(sheets, table)
    rows = []
    names = {code: p.name_short_zh for code, p in rd.provinces.items()}
    keys = ["data_year", "industry_code", "indicator"]
    # rows outside the 31 provinces that the printed national total covers (patent tables: 全国 =
    # provinces + Hong Kong + Macao + Taiwan; catalog field national_total_includes)
    in_total = (rec["entity_kind"] == "out_of_scope") & rec["aggregate_code"].isin(
        table.national_total_includes
    )
    for (year, industry, indicator), g in rec.groupby(keys, dropna=False, sort=True):
        prov = g[g["entity_kind"] == "province"]
        nat = g[g["aggregate_code"] == "national"]
        present = set(prov["province_code"].dropna())
        valued = pd.concat([prov, g[in_total.loc[g.index]]])
        valued = valued[valued["value"].notna()]
        psum = float(valued["value"].sum()) if not valued.empty else float("nan")
        total = (
            float(nat["value"].iloc[0]) if not nat.empty and nat["value"].notna().any() else None
        )
        rule = inds.get(indicator)
        additive = rule.additive if rule else True
        gap = None
        if total is not None and not valued.empty and table.row_key == "province" and additive:
            cells = list(valued["value_raw"]) + [nat["value_raw"].iloc[0]]
            half = 0.5 * 10 ** -max(_decimals(c) for c in cells) if cells else 0
            allowed = max(len(cells) * half, rules.total_relative_tolerance * abs(total))
            gap = abs(psum - total) - allowed
        f = (
            factor(nat["unit"].iloc[0])
            if total is not None
            else factor(valued["unit"].iloc[0] if not valued.empty else None)
        )
        # the printed national total, else (for additive indicators) the sum of the provinces
        shown = total if total is not None else (psum if additive else float("nan"))
        total_base = shown * f
        rows.append(
            {
                "data_year": int(year),
                "industry_code": industry,
                "indicator": indicator,
                "required": bool(rule.required) if rule else False,
                "n_provinces": len(present),
                "missing_provinces": ", ".join(names[c] for c in sorted(set(names) - present)),
                "province_sum": psum,
                "printed_total": total,
                "total_cell": nat["source_cell"].iloc[0] if not nat.empty else None,
                "total_gap": gap,
                "total_base": total_base,
                "total_min": rule.total_range[0] if rule and rule.total_range else None,
                "total_max": rule.total_range[1] if rule and rule.total_range else None,
                "unit": (nat if not nat.empty else g)["unit"].iloc[0],
                "vintage": int(g["vintage"].max()),
                "file_name_year": fyear,
                "title_year": tyear,
            }
        )
    groups = pd.DataFrame(rows)
    wide_cols = sorted({c for pair in rules.not_above for c in pair})
    wide = (
        rec[rec["indicator"].isin(wide_cols)]
        .pivot_table(
            index=["source_sheet", "source_row", "name_raw", "data_year"],
            columns="indicator",
            values="value_base",
            aggfunc="first",
        )
        .reset_index()
    )
    for col in wide_cols:
        if col not in wide:
            wide[col] = float("nan")
        wide[col] = wide[col].astype("float64")
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
    return rec, groups, wide


# -- results ---------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    """One expectation's outcome on one file (a row of ``raw.dq_results``)."""

    expectation: str  # check name, with the indicator for per-indicator checks
    severity: str
    success: bool
    observed: str
    description: str
    rows: list[dict] = field(default_factory=list)  # offending rows
    config: dict | None = None  # GE expectation configuration (for Data Docs)
    result: dict | None = None  # GE result dict

    def details(self) -> dict:
        return {
            "description": self.description,
            "rows": self.rows,
            "expectation_config": self.config,
            "result": self.result,
        }

    def lines(self) -> list[str]:
        """What went wrong, one line per offending row (at most MAX_ROWS_SHOWN)."""
        head = f"{self.severity} {self.expectation}: expected {self.description}; {self.observed}"
        out = [head]
        for row in self.rows[:MAX_ROWS_SHOWN]:
            out.append("    " + _describe_row(row))
        if len(self.rows) > MAX_ROWS_SHOWN:
            out.append(f"    … and {len(self.rows) - MAX_ROWS_SHOWN} more")
        return out


def _describe_row(row: dict) -> str:
    parts = []
    if row.get("source_cell") and row.get("source_row") is None:
        parts.append(f"cell {row['source_cell']}")
    elif row.get("source_cell"):
        sheet = f"sheet {row['source_sheet']!r} " if row.get("source_sheet") else ""
        parts.append(
            f"{sheet}row {row.get('source_row')}, column {row.get('source_col')} "
            f"(cell {row['source_cell']})"
        )
    elif row.get("source_row") is not None:
        sheet = f"sheet {row['source_sheet']!r} " if row.get("source_sheet") else ""
        parts.append(f"{sheet}row {row['source_row']}")
    for key in ("province", "indicator", "data_year"):
        if row.get(key) not in (None, ""):
            parts.append(f"{key} {row[key]}")
    for key, value in row.items():
        if key in {"source_cell", "source_sheet", "source_row", "source_col", "province"}:
            continue
        if key in {"indicator", "data_year"} or value in (None, ""):
            continue
        parts.append(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value:g}")
    return ", ".join(parts)


@dataclass
class GateReport:
    """The gate's verdict on one file."""

    file: str
    file_hash: str | None
    table_id: str | None
    data_years: list[int]
    results: list[CheckResult]
    validated_at: datetime
    seconds: float = 0.0
    parse_warnings: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "error"]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def message(self, which: str = "errors") -> str:
        failed = self.errors if which == "errors" else self.warnings
        lines = [f"{self.file}: {len(failed)} check(s) failed"] if failed else []
        for r in failed:
            lines.extend("  " + line for line in r.lines())
        return "\n".join(lines)

    def failed_json(self) -> list[dict]:
        return [
            {
                "expectation": r.expectation,
                "expected": r.description,
                "observed": r.observed,
                "rows": r.rows,
            }
            for r in self.errors
        ]


def _num(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _offending(
    frame_name: str, frame: pd.DataFrame, index: list, check: str, kwargs: dict
) -> list[dict]:
    rows = []
    for i in index:
        r = frame.loc[i]
        if frame_name == "records":
            row = {
                "source_sheet": r["source_sheet"],
                "source_row": _num(r["source_row"]),
                "source_col": r["source_col"],
                "source_cell": r["source_cell"],
                "province": r["name_raw"],
                "indicator": r["indicator"],
                "value": r["value_raw"],
                "unit": r["unit"],
            }
            if check == "plausible_range":
                row["value_base"] = _num(r["value_base"])
                row["bounds"] = f"[{r['range_min']:g}, {r['range_max']:g}]"
            if check == "year_on_year_jump":
                row["factor"] = round(float(r["yoy_factor"]), 2)
                row["neighbour"] = r["yoy_neighbour"]
        elif frame_name == "rows":
            row = {
                "source_sheet": r["source_sheet"],
                "source_row": _num(r["source_row"]),
                "province": r["name_raw"],
            }
            pair = [kwargs.get("column_B"), kwargs.get("column_A")]  # A <= B was checked as B >= A
            row.update({c: _num(r[c]) for c in pair if c in frame.columns})
        else:
            row = {
                "source_cell": r["total_cell"] if check == "provinces_sum_to_total" else None,
                "indicator": r["indicator"],
                "data_year": _num(r["data_year"]),
            }
            if r["industry_code"] not in (None, "T") and not pd.isna(r["industry_code"]):
                row["industry"] = r["industry_code"]
            if check == "provinces_complete":
                row["n_provinces"] = _num(r["n_provinces"])
                row["missing"] = r["missing_provinces"]
            elif check == "provinces_sum_to_total":
                row["province"] = "全国 (national total)"
                row["value"] = _num(r["printed_total"])
                row["province_sum"] = round(float(r["province_sum"]), 6)
                row["unit"] = r["unit"]
            elif check == "total_range":
                row["total_base"] = _num(r["total_base"])
                row["bounds"] = f"[{r['total_min']:g}, {r['total_max']:g}]"
            else:
                row["file_name_year"] = _num(r["file_name_year"])
                row["title_year"] = _num(r["title_year"])
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _observed(res: dict) -> str:
    if "unexpected_count" in res:
        return f"{res['unexpected_count']} of {res.get('element_count', '?')} row(s) fail"
    if "observed_value" in res:
        return f"observed {res['observed_value']}"
    return ""


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=lambda o: _num(o) if _num(o) is not o else str(o)))


def validate(
    result,
    path: str | Path,
    *,
    catalog: Catalog,
    rel: str | None = None,
    digest: str | None = None,
    sheets=None,
    con=None,
    rd: RefData | None = None,
) -> GateReport:
    """Run the table's suites on a parsed file; ``con`` (the warehouse) feeds year-on-year."""
    started = time.perf_counter()
    rd = rd or default_refdata()
    table = result.table
    rules, plan, suites = _suites(table, str(expectations_dir()))
    records, groups, wide = build_frames(result, path, rules, rd, sheets=sheets, con=con, rel=rel)
    _, _, _, batches = _gx()
    frames = {"records": records, "groups": groups, "rows": wide}
    out: list[CheckResult] = []
    for name, suite in suites.items():
        if not len(suite.expectations):
            continue
        batch = batches[name].get_batch(batch_parameters={"dataframe": frames[name]})
        validation = batch.validate(
            suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": []}
        )
        for res in validation.results:
            cfg = res.expectation_config
            meta = cfg.meta or {}
            check = meta.get("check", cfg.type)
            label = f"{check}[{meta['indicator']}]" if meta.get("indicator") else check
            if meta.get("bound"):
                label = f"{check}.{meta['bound']}"
            raw = res.result or {}
            kwargs = cfg.kwargs
            index = list(raw.get("unexpected_index_list") or [])
            if check in ("plausible_range", "total_range") and not res.success:
                names = sorted({str(frames[name].loc[i, "indicator"]) for i in index})
                label = f"{label}[{','.join(names)}]" if names else label
            if res.exception_info and res.exception_info.get("raised_exception"):
                observed = (
                    f"expectation could not run: {res.exception_info.get('exception_message')}"
                )
                success = False
            else:
                observed, success = _observed(raw), bool(res.success)
            out.append(
                CheckResult(
                    expectation=label,
                    severity=meta.get("severity", "error"),
                    success=success,
                    observed=observed,
                    description=meta.get("description", cfg.type),
                    rows=_offending(name, frames[name], index, check, kwargs)
                    if not success
                    else [],
                    config=_jsonable(cfg.to_json_dict()),
                    result=_jsonable(
                        {k: v for k, v in raw.items() if k not in {"unexpected_index_query"}}
                    ),
                )
            )
    return GateReport(
        file=rel or str(path),
        file_hash=digest,
        table_id=table.table_id,
        data_years=list(result.data_years),
        results=out,
        validated_at=datetime.now(UTC).replace(tzinfo=None),
        seconds=time.perf_counter() - started,
        parse_warnings=list(result.warnings),
    )


def failure_report(
    path: str, digest: str | None, check: str, message: str, table_id=None, years=None
) -> GateReport:
    """A file the gate could not get to (unreadable, no catalog table, layout) as a failed check."""
    return GateReport(
        file=path,
        file_hash=digest,
        table_id=table_id,
        data_years=list(years or []),
        results=[
            CheckResult(
                expectation=check,
                severity="error",
                success=False,
                observed=message,
                description={
                    "file_parses": "the file is readable and fits a catalog table",
                    "table_year_unique": "no other file provides the same table and year",
                }.get(check, check),
            )
        ],
        validated_at=datetime.now(UTC).replace(tzinfo=None),
    )


def parse(path: Path, catalog: Catalog):
    """(ParseResult, sheets): :func:`agglo.parse.parse_file`, keeping the grids (title year)."""
    from agglo.parse import parse_sheets, recognize
    from agglo.readers import read_workbook

    sheets = read_workbook(path)
    table = recognize(sheets, path, catalog)
    return parse_sheets(sheets, path, table), sheets


def check_file(path: Path, catalog: Catalog, con=None, rel: str | None = None) -> GateReport:
    """Parse and validate one file; parse failures become a failed ``file_parses`` check."""
    rel = rel or str(path)
    try:
        result, sheets = parse(path, catalog)
    except AggloError as exc:
        return failure_report(rel, None, "file_parses", str(exc))
    if result.records.empty:
        return failure_report(rel, None, "file_parses", "no records found", result.table.table_id)
    return validate(result, path, catalog=catalog, rel=rel, sheets=sheets, con=con)


# -- storage (schema raw) --------------------------------------------------------------------------

DQ_DDL = """
CREATE TABLE IF NOT EXISTS raw.dq_results (
    file_path VARCHAR NOT NULL,
    file_hash VARCHAR,
    table_id VARCHAR,
    data_year INTEGER,
    expectation VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    success BOOLEAN NOT NULL,
    observed VARCHAR,
    details JSON,
    validated_at TIMESTAMP NOT NULL,
    outcome VARCHAR
);
CREATE TABLE IF NOT EXISTS raw.load_rejections (
    file_path VARCHAR NOT NULL,
    file_hash VARCHAR,
    rejected_at TIMESTAMP NOT NULL,
    table_id VARCHAR,
    data_year INTEGER,
    message VARCHAR,
    failed JSON
);
"""


def store_results(con, report: GateReport, outcome: str) -> None:
    """Append a validation's results to ``raw.dq_results`` (inside the caller's transaction)."""
    year = report.data_years[0] if report.data_years else None
    rows = [
        (
            report.file,
            report.file_hash,
            report.table_id,
            year,
            r.expectation,
            r.severity,
            r.success,
            r.observed,
            json.dumps(r.details(), ensure_ascii=False, default=str),
            report.validated_at,
            outcome,
        )
        for r in report.results
    ]
    if rows:
        con.executemany("INSERT INTO raw.dq_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def store_rejection(con, report: GateReport) -> None:
    year = report.data_years[0] if report.data_years else None
    con.execute(
        "INSERT INTO raw.load_rejections VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            report.file,
            report.file_hash,
            report.validated_at,
            report.table_id,
            year,
            report.message(),
            json.dumps(report.failed_json(), ensure_ascii=False, default=str),
        ],
    )


# -- agglo check -----------------------------------------------------------------------------------


def check_paths(targets: Iterable[Path], *, warehouse: Path | None = None, out=None) -> int:
    """``agglo check``: validate files without loading them; 1 if any has an error, else 0."""
    import duckdb

    from agglo.warehouse import discover, display_path

    out = out or sys.stdout

    catalog = load_catalog()
    files = discover(list(targets) or [paths.raw_dir()])
    wh = warehouse or paths.warehouse_path()
    con = None
    if wh.exists():
        try:
            con = duckdb.connect(str(wh), read_only=True)
            con.execute("SELECT 1 FROM raw.records LIMIT 1")
        except duckdb.Error:
            con = None  # no warehouse yet: year-on-year checks have nothing to compare with
    failed = 0
    try:
        for path in files:
            report = check_file(path, catalog, con=con, rel=display_path(path))
            if report.ok:
                extra = f", {len(report.warnings)} warning(s)" if report.warnings else ""
                print(
                    f"ok       {report.file} ({report.table_id} {report.data_years}{extra})",
                    file=out,
                )
                if report.warnings:
                    print(report.message("warnings"), file=out)
            else:
                failed += 1
                print(f"FAILED   {report.message()}", file=out)
    finally:
        if con is not None:
            con.close()
    print(f"{len(files) - failed} passed, {failed} failed", file=out)
    return 1 if failed else 0


# -- Data Docs -------------------------------------------------------------------------------------


def build_docs(warehouse: Path | None = None, out_dir: Path | None = None) -> Path:
    """GE Data Docs for the latest validation of each file, rebuilt from ``raw.dq_results``."""
    import duckdb
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    _, _, context, _ = _gx()
    out_dir = (out_dir or paths.repo_root() / "reports" / "dq-docs").resolve()
    wh = warehouse or paths.warehouse_path()
    if not wh.exists():
        raise AggloError(f"no warehouse at {wh}", hint="run agglo load first")
    con = duckdb.connect(str(wh), read_only=True)
    try:
        rows = con.execute(
            """
            WITH latest AS (
                SELECT file_path, max(validated_at) AS validated_at FROM raw.dq_results
                GROUP BY file_path
            )
            SELECT d.file_path, d.file_hash, d.table_id, d.data_year, d.expectation, d.severity,
                   d.success, d.observed, d.details, d.validated_at, d.outcome
            FROM raw.dq_results d JOIN latest USING (file_path, validated_at)
            ORDER BY d.file_path, d.expectation
            """
        ).fetchall()
    finally:
        con.close()
    sites = context.list_data_docs_sites()
    if "dq_docs" not in sites:
        context.add_data_docs_site(
            "dq_docs",
            {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(out_dir),
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "show_how_to_buttons": False,
                },
            },
        )
    by_file: dict[tuple, list] = {}
    for row in rows:
        by_file.setdefault((row[0], row[1], row[2], row[9], row[10]), []).append(row)
    store = context.validation_results_store
    for (file, digest, table_id, validated_at, outcome), items in by_file.items():
        results = []
        for _, _, _, _, expectation, severity, success, observed, details, _, _ in items:
            d = json.loads(details) if details else {}
            cfg = d.get("expectation_config") or {
                "type": "expect_table_row_count_to_be_between",
                "kwargs": {},
                "meta": {"check": expectation, "description": d.get("description")},
            }
            cfg = {k: v for k, v in cfg.items() if k in {"type", "kwargs", "meta", "id"}}
            cfg.setdefault("meta", {})["severity"] = severity
            cfg["kwargs"] = {k: v for k, v in cfg["kwargs"].items() if k != "batch_id"}
            result = d.get("result") or {"observed_value": observed}
            results.append(
                ExpectationValidationResult(
                    success=bool(success),
                    expectation_config=ExpectationConfiguration(**cfg),
                    result=result,
                )
            )
        suite_name = f"{table_id or 'unrecognised'}"
        run_id = RunIdentifier(run_name=file, run_time=validated_at)
        vr = ExpectationSuiteValidationResult(
            success=all(
                r.success or r.expectation_config.meta.get("severity") == "warning" for r in results
            ),
            results=results,
            suite_name=suite_name,
            meta={
                "file": file,
                "file_hash": digest,
                "outcome": outcome,
                "run_id": run_id,
                "validation_time": validated_at.isoformat(),
                "active_batch_definition": {
                    "datasource_name": "yearbook_gate",
                    "data_asset_name": file,
                    "batch_identifiers": {"file_hash": digest},
                },
            },
        )
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
            run_id=RunIdentifier(run_name=file.replace("/", "__"), run_time=validated_at),
            batch_identifier=(digest or "nohash")[:16],
        )
        store.set(key, vr)
    context.build_data_docs(site_names=["dq_docs"])
    return out_dir / "index.html"


def main(argv: list[str] | None = None) -> int:
    """``python -m agglo.gate docs`` (the ``make dq-docs`` target)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["docs"]:
        print("usage: python -m agglo.gate docs [--out DIR]", file=sys.stderr)
        return 2
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    try:
        index = build_docs(out_dir=out)
    except AggloError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"data docs: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

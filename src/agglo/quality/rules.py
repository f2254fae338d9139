"""The gate's rules as data: ``expectations/defaults.yml`` + the catalog entry + the table's
override file ``expectations/<table_id>.yml``.

Two rules are shared with dbt and live where both read them: whether a unit adds up across
provinces (``is_additive`` of the ``ref_unit_factors`` seed) and the relative tolerance of the
province-sum reconciliation (``reconciliation_relative_tolerance`` in ``dbt_project.yml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from agglo import paths
from agglo.errors import CatalogError
from agglo.ingest.catalog import TableSpec
from agglo.refdata import RefData, dbt_var
from agglo.refdata import refdata as default_refdata

SEVERITIES = ("error", "warning")
RELATIVE_TOLERANCE_VAR = "reconciliation_relative_tolerance"
# settings that used to be per-table and are now shared with dbt: where they live instead
_MOVED = {
    "total_tolerance": f"vars: {RELATIVE_TOLERANCE_VAR} in dbt_project/dbt_project.yml",
    "additive": "the unit's is_additive in dbt_project/seeds/ref_unit_factors.csv",
}


def expectations_dir() -> Path:
    """``expectations/`` of the checkout (``$AGGLO_HOME``), else the one this package came with."""
    here = paths.repo_root() / "expectations"
    if (here / "defaults.yml").is_file():
        return here
    return Path(__file__).resolve().parents[3] / "expectations"


@dataclass(frozen=True)
class IndicatorRule:
    id: str
    unit: str
    required: bool
    non_negative: bool
    province_range: tuple[float, float] | None = None
    total_range: tuple[float, float] | None = None
    max_yoy_factor: float | None = None


@dataclass(frozen=True)
class TableRules:
    table: TableSpec
    checks: dict[str, str]  # check name -> severity
    expected_provinces: int
    total_relative_tolerance: float
    indicators: dict[str, IndicatorRule]
    source: str  # files the rules came from
    not_above: tuple[tuple[str, str], ...] = ()  # (A, B): A <= B per row, base units
    # gaps the yearbook really prints between a total and its provinces, measured and explained
    # (``printed_gaps``): (data_year, industry, indicator, total) -> gap in the printed unit
    printed_gaps: dict[tuple[int, str | None, str, str], float] = field(default_factory=dict)

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


def _reject_moved(doc: dict, where: str) -> None:
    for key, home in _MOVED.items():
        if key in doc:
            raise CatalogError(
                f"{key!r} is no longer set here: dbt reads the same rule", file=where, hint=home
            )


def table_rules(table: TableSpec, directory: Path | None = None, rd: RefData | None = None):
    """The gate's settings for one catalog table (defaults overlaid by its override file)."""
    directory = directory or expectations_dir()
    rd = rd or default_refdata()
    defaults_path = directory / "defaults.yml"
    doc = _read_yaml(defaults_path)
    _reject_moved(doc, str(defaults_path))
    sources = [defaults_path]
    override_path = directory / f"{table.table_id}.yml"
    override = _read_yaml(override_path) if override_path.is_file() else {}
    if override:
        sources.append(override_path)
    where = str(override_path)
    _reject_moved(override, where)
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
        _reject_moved(conf, iw)
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
        )
    pairs = []
    for pair in override.get("not_above") or []:
        if not (isinstance(pair, list) and len(pair) == 2 and set(pair) <= set(indicators)):
            raise CatalogError(
                f"not_above: {pair!r} must be two indicators of the table", file=where
            )
        pairs.append((pair[0], pair[1]))
    gaps = {}
    for i, item in enumerate(override.get("printed_gaps") or []):
        iw = f"{where} (printed_gaps[{i}])"
        keys = {"data_year", "indicator", "total", "gap", "cell", "why"}
        if not isinstance(item, dict) or not {"data_year", "indicator", "total", "gap"} <= set(
            item
        ):
            raise CatalogError(
                "a printed gap needs data_year, indicator, total (national or a belt) and gap "
                "(sum of the provinces minus the printed total, printed unit)",
                file=iw,
            )
        if set(item) - keys - {"industry"} or item["indicator"] not in indicators:
            raise CatalogError(
                f"printed gap: unknown keys {sorted(set(item) - keys - {'industry'})} or "
                f"indicator {item['indicator']!r} not in {table.table_id}",
                file=iw,
            )
        if item["total"] not in rd.aggregates:
            raise CatalogError(f"printed gap: total {item['total']!r} is no aggregate", file=iw)
        key = (int(item["data_year"]), item.get("industry"), item["indicator"], item["total"])
        gaps[key] = float(item["gap"])
    return TableRules(
        printed_gaps=gaps,
        not_above=tuple(pairs),
        table=table,
        checks=checks,
        expected_provinces=int(setting("expected_provinces") or 31),
        total_relative_tolerance=float(dbt_var(RELATIVE_TOLERANCE_VAR)),
        indicators=indicators,
        source=", ".join(str(p) for p in sources),
    )

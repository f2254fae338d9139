"""Great Expectations suites built from the rules: one ephemeral GE context per process (no
network, no ``gx/`` folder) and one suite per frame that covers every table.

The gate validates all files of a load in one GE run (:func:`agglo.quality.validate.validate_many`):
GE costs about 15 ms per expectation per validation whatever the rows, so no expectation may be
per table, per indicator or per file. What differs between tables is data, written into columns of
the frames (:mod:`agglo.quality.frames`): plausible bounds, expected provinces, which indicators are
required or non-negative, the ``not_above`` pairs (one row per pair and printed row). The suites
here are therefore fixed (:data:`EXPECTATIONS`); a table's rules only decide which of them it is
judged by, with which severity and description (:func:`build_suite`).

GE has no "sums to a total" expectation, so the reconciliation is the pre-computed column
``total_gap`` checked with ``expect_column_values_to_be_between(max_value=0)``; likewise the
plausible ranges are bound columns compared pairwise.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from agglo.quality.rules import TableRules

WHAT = {"min": "at least", "max": "at most"}
FRAMES = ("records", "groups", "rows", "totals")
SUITE_PREFIX = "yearbook_gate"


@cache
def gx_context():
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


# A row condition as data: (column, op, value) clauses, all of which hold. One source for GE's
# ``row_condition`` and for the pandas mask that counts a file's rows in the expectation's domain.
Clause = tuple[str, str, object]


@dataclass(frozen=True)
class Expectation:
    """One expectation of the fixed suites: evaluated once per load on every file's rows."""

    key: str  # check name, or check.bound
    frame: str
    gx_type: str  # class name in great_expectations.expectations
    kwargs: dict
    where: tuple[Clause, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [self.kwargs[k] for k in ("column", "column_A", "column_B") if k in self.kwargs]

    def domain(self, frame: pd.DataFrame) -> pd.Series:
        """The rows GE counts (``element_count``): those meeting the row condition."""
        mask = pd.Series(True, index=frame.index)
        for column, op, value in self.where:
            col = frame[column]
            mask &= col.notna() if op == "notnull" else (col == value).fillna(False).astype(bool)
        return mask

    def missing(self, frame: pd.DataFrame) -> pd.Series:
        """The rows GE counts as missing: a null in the column (either column of a pair)."""
        mask = pd.Series(False, index=frame.index)
        for column in self.columns:
            mask |= frame[column].isna()
        return mask


def _pair_bounds(key, frame, value, lo, hi) -> list[Expectation]:
    """``lo <= value <= hi`` as two pairwise expectations (``key.min``, ``key.max``) on bound
    columns, rows without a bound or a value ignored: one pair covers every indicator and table."""
    return [
        Expectation(
            f"{key}.{what}",
            frame,
            "ExpectColumnPairValuesAToBeGreaterThanB",
            {
                "column_A": a,
                "column_B": b,
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
        )
        for a, b, what in ((value, lo, "min"), (hi, value, "max"))
    ]


REQUIRED: Clause = ("required", "==", True)
# In report order: the order GE reported the checks in when each table had its own suites.
EXPECTATIONS: tuple[Expectation, ...] = (
    Expectation(
        "numeric_values",
        "records",
        "ExpectColumnValuesToNotBeInSet",
        {"column": "value_flag", "value_set": ["invalid"]},
    ),
    Expectation(
        "required_values_present",
        "records",
        "ExpectColumnValuesToNotBeInSet",
        {"column": "value_flag", "value_set": ["not_available"]},
        (REQUIRED,),
    ),
    Expectation(
        "required_blank_cells",
        "records",
        "ExpectColumnValuesToNotBeInSet",
        {"column": "value_flag", "value_set": ["blank"]},
        (REQUIRED, ("blank_allowed", "==", False)),
    ),
    # row_key starts with the file's number in the load: unique within each file
    Expectation("unique_keys", "records", "ExpectColumnValuesToBeUnique", {"column": "row_key"}),
    Expectation(
        "non_negative",
        "records",
        "ExpectColumnValuesToBeBetween",
        {"column": "value", "min_value": 0},
        (("non_negative", "==", True),),
    ),
    Expectation(
        "unit_known",
        "records",
        "ExpectColumnValuesToNotBeNull",
        {"column": "base_unit"},
        (("value", "notnull", None),),
    ),
    *_pair_bounds("plausible_range", "records", "value_base", "range_min", "range_max"),
    Expectation(
        "year_on_year_jump",
        "records",
        "ExpectColumnValuesToBeBetween",
        {"column": "yoy_excess", "max_value": 1},
    ),
    *_pair_bounds("total_range", "groups", "total_base", "total_min", "total_max"),
    Expectation(
        "data_year_matches_file_name",
        "groups",
        "ExpectColumnPairValuesToBeEqual",
        {
            "column_A": "vintage",
            "column_B": "file_name_year",
            "ignore_row_if": "either_value_is_missing",
        },
    ),
    Expectation(
        "data_year_matches_title",
        "groups",
        "ExpectColumnPairValuesToBeEqual",
        {
            "column_A": "vintage",
            "column_B": "title_year",
            "ignore_row_if": "either_value_is_missing",
        },
    ),
    Expectation(
        "provinces_complete",
        "groups",
        "ExpectColumnPairValuesToBeEqual",
        {"column_A": "n_provinces", "column_B": "expected_provinces"},
        (REQUIRED,),
    ),
    Expectation(
        "provinces_sum_to_total",
        "groups",
        "ExpectColumnValuesToBeBetween",
        {"column": "total_gap", "max_value": 0},
    ),
    # one row per printed row and not_above pair (A, B): B >= A
    Expectation(
        "indicator_not_above",
        "rows",
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": "b_value",
            "column_B": "a_value",
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    ),
    Expectation(
        "belts_sum_to_subtotals",
        "totals",
        "ExpectColumnValuesToBeBetween",
        {"column": "total_gap", "max_value": 0},
        (("kind", "==", "belt"),),
    ),
    Expectation(
        "sums_within_printed_rounding",
        "totals",
        "ExpectColumnValuesToBeBetween",
        {"column": "rounding_gap", "max_value": 0},
    ),
)
BY_KEY = {e.key: e for e in EXPECTATIONS}


@dataclass
class Planned:
    """A check a table is judged by: which shared expectation, its severity and description.

    ``indicator``: the ``not_above`` pair (``A<=B``) for a per-pair check (its rows of the shared
    expectation are those with ``pair == indicator``).
    """

    check: str
    severity: str
    description: str
    bound: str | None = None
    indicator: str | None = None
    meta: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The shared expectation of :data:`EXPECTATIONS` it reads its outcome from."""
        return f"{self.check}.{self.bound}" if self.bound else self.check

    @property
    def frame(self) -> str:
        return BY_KEY[self.key].frame

    @property
    def label(self) -> str:
        if self.bound:
            return f"{self.check}.{self.bound}"
        return f"{self.check}[{self.indicator}]" if self.indicator else self.check


def build_suite(rules: TableRules) -> list[Planned]:
    """The checks of a table (in report order), generated from its rules."""
    plan: list[Planned] = []
    table = rules.table
    provinces = table.row_key == "province"

    def add(check, description, bound=None, indicator=None):
        severity = rules.severity(check)
        meta = {"check": check, "severity": severity, "description": description}
        if indicator:
            meta["indicator"] = indicator
        if bound:
            meta["bound"] = bound
        plan.append(Planned(check, severity, description, bound, indicator, meta))

    def bounds(check: str, what_is: str) -> None:
        for what in ("min", "max"):
            add(
                check,
                f"{what_is} {WHAT[what]} its indicator's plausible bound (base units; "
                "expectations/<table_id>.yml)",
                bound=what,
            )

    add("numeric_values", "every cell holds a number (or is blank / marked not available)")
    add("required_values_present", "no not-available marker (…, —, -) in a required indicator")
    add(
        "required_blank_cells",
        "no blank cell in a required indicator, unless its catalog entry says what a blank "
        "means (blank: zero | not_reported)",
    )
    add("unique_keys", "one value per (province or aggregate, industry, indicator, year)")
    add("non_negative", "values are >= 0 for indicators the catalog marks non_negative")
    add("unit_known", "every value's unit converts to a base unit (seeds/ref_unit_factors.csv)")
    if provinces and any(i.province_range for i in rules.indicators.values()):
        bounds("plausible_range", "each province value")
    if any(i.total_range for i in rules.indicators.values()):
        bounds("total_range", "the national total")
    for a, b in rules.not_above:
        add(
            "indicator_not_above",
            f"{a} <= {b} in every row (swapped or shifted columns break it)",
            indicator=f"{a}<={b}",
        )
    if provinces:
        n = rules.expected_provinces
        add(
            "provinces_complete",
            f"{n} distinct provinces per required indicator, industry and year",
        )
        add(
            "provinces_sum_to_total",
            "provinces add up to the printed national total within rounding (total_gap <= 0)",
        )
        add(
            "belts_sum_to_subtotals",
            "the provinces of each printed belt (东部, 中部, 西部, 东北地区; membership: seed "
            "ref_belt_members) add up to its subtotal within rounding (total_gap <= 0)",
        )
        add(
            "sums_within_printed_rounding",
            "every printed total (全国 and belts) equals the sum of its provinces within half a "
            "unit of the last printed digit of every cell (rounding_gap <= 0); a larger gap the "
            "yearbook really prints is documented in printed_gaps of expectations/<table_id>.yml",
        )
        add(
            "year_on_year_jump",
            "change against the neighbouring years in the warehouse within the indicator's bound "
            "(yoy_excess = factor / bound <= 1)",
        )
    add(
        "data_year_matches_file_name",
        "data year (of the edition, for tables with one column per year) equals the year in the "
        "file name",
    )
    add(
        "data_year_matches_title",
        "data year (of the edition) equals the year printed in the title rows",
    )
    return plan


@cache
def table_suites(table, expectations: str):
    """(rules, plan) of a table, read once per process."""
    from pathlib import Path

    from agglo.quality.rules import table_rules

    rules = table_rules(table, Path(expectations))
    return rules, build_suite(rules)


@cache
def gate_suites():
    """{frame: GE suite} of :data:`EXPECTATIONS`, built once per process."""
    gx, gxe, context, _ = gx_context()
    from great_expectations.expectations.row_conditions import Column

    suites = {}
    for frame in FRAMES:
        name = f"{SUITE_PREFIX}.{frame}"
        with contextlib.suppress(Exception):  # not there yet
            context.suites.delete(name)
        suite = gx.ExpectationSuite(name=name)
        for e in EXPECTATIONS:
            if e.frame != frame:
                continue
            condition = None
            for column, op, value in e.where:
                clause = (
                    Column(column).is_not_null() if op == "notnull" else Column(column) == value
                )
                condition = clause if condition is None else condition & clause
            extra = {"row_condition": condition} if condition is not None else {}
            suite.add_expectation(getattr(gxe, e.gx_type)(**e.kwargs, **extra, meta={"key": e.key}))
        suites[frame] = context.suites.add(suite)
    return suites

"""Great Expectations suites built from the rules: one ephemeral GE context per process (no
network, no ``gx/`` folder), one suite per catalog table and frame.

GE has no "sums to a total" expectation, so the reconciliation is the pre-computed column
``total_gap`` (:mod:`agglo.quality.frames`) checked with
``expect_column_values_to_be_between(max_value=0)``; likewise the plausible ranges are bound columns
compared pairwise, so that four expectations cover every indicator.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from agglo.ingest.catalog import TableSpec
from agglo.quality.rules import TableRules, table_rules

WHAT = {"min": "at least", "max": "at most"}
FRAMES = ("records", "groups", "rows", "totals")
_GX_SEVERITY = {"error": "critical", "warning": "warning"}


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
    _, gxe, _, _ = gx_context()
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
        "no blank cell in a required indicator, unless its catalog entry says what a blank "
        "means (blank: zero | not_reported)",
        column="value_flag",
        value_set=["blank"],
        **cond((Column("required") == True) & (Column("blank_allowed") == False)),  # noqa: E712
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
        "every value's unit converts to a base unit (seeds/ref_unit_factors.csv)",
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
            "totals",
            "belts_sum_to_subtotals",
            gxe.ExpectColumnValuesToBeBetween,
            "the provinces of each printed belt (东部, 中部, 西部, 东北地区; membership: seed "
            "ref_belt_members) add up to its subtotal within rounding (total_gap <= 0)",
            column="total_gap",
            max_value=0,
            **cond(Column("kind") == "belt"),
        )
        add(
            "totals",
            "sums_within_printed_rounding",
            gxe.ExpectColumnValuesToBeBetween,
            "every printed total (全国 and belts) equals the sum of its provinces within half a "
            "unit of the last printed digit of every cell (rounding_gap <= 0); a larger gap the "
            "yearbook really prints is documented in printed_gaps of expectations/<table_id>.yml",
            column="rounding_gap",
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
def table_suites(table: TableSpec, expectations: str):
    """(rules, plan, {frame: GE suite}) of a table, built once per process."""
    gx, _, context, _ = gx_context()
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

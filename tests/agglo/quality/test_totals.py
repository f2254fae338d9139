"""Printed totals and belt subtotals against their provinces; blanks the catalog explains."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from agglo import quality
from agglo.ingest.catalog import load_catalog
from agglo.ingest.parsed import parse_path
from agglo.quality.frames import build_frames, build_totals
from agglo.refdata import refdata


@pytest.fixture(scope="module")
def parsed(yearbooks_dir):
    cache = {}

    def get(rel: str):
        if rel not in cache:
            cache[rel] = parse_path(yearbooks_dir / "st-yearbook" / rel, load_catalog())
        return cache[rel]

    return get


def totals(parsed_file, **changes):
    rules = quality.table_rules(parsed_file.table)
    rules = dataclasses.replace(rules, **changes)
    records, _, _ = build_frames(parsed_file, rules, refdata())
    return build_totals(records, rules, refdata())


@pytest.mark.parametrize(
    ("rel", "scheme"),
    [
        ("hightech-operation/2010.xls", "three_belts_2000"),  # Liaoning east, Jilin central
        ("hightech-operation/2011.xls", "three_belts_1986"),  # Guangxi east, Inner Mongolia central
        ("hightech-operation/2015.xls", "four_belts_2011"),  # 东北地区 printed
        ("rd-personnel/2010.xls", "three_belts_2000"),
    ],
)
def test_each_edition_follows_its_belt_scheme(parsed, rel, scheme):
    frame = totals(parsed(rel))
    belts = frame[frame["kind"] == "belt"]
    assert set(belts["belt_scheme"]) == {scheme}
    assert (belts["total_gap"] <= 0).all() and (belts["rounding_gap"] <= 0).all()


def test_a_wrong_scheme_leaves_the_subtotals_unreconciled(parsed, monkeypatch):
    """Under the 2000 grouping, the 2011 high-tech subtotals miss by Guangxi and Inner Mongolia."""
    pf = parsed("hightech-operation/2011.xls")
    rd = refdata()
    records, _, _ = build_frames(pf, quality.table_rules(pf.table), rd)
    three = {k: v for k, v in rd.belt_schemes.items() if k == "three_belts_2000"}
    monkeypatch.setattr(rd, "belt_schemes", three)
    frame = build_totals(records, quality.table_rules(pf.table), rd)
    ent = frame[(frame["indicator"] == "enterprises") & (frame["kind"] == "belt")]
    gaps = dict(zip(ent["total"], ent["gap"], strict=True))
    assert gaps == {"east": -275, "central": -98, "west": 373}  # Guangxi 275, Inner Mongolia 98


def test_documented_gaps_pass_and_undocumented_ones_show(parsed):
    """rd-personnel/2022.xls: 439 person-years between applied research and experimental
    development in the western subtotal (F10, G10) and 全国 (F7, G7), documented in printed_gaps."""
    pf = parsed("rd-personnel/2022.xls")
    documented = totals(pf)
    assert documented["rounding_gap"].dropna().le(0).all()
    assert set(documented.loc[documented["documented"], "total_cell"]) == {"F7", "F10", "G7", "G10"}
    bare = totals(pf, printed_gaps={})
    over = bare[bare["rounding_gap"] > 0]
    assert set(over["total_cell"]) == {"F7", "F10", "G7", "G10"}
    assert set(bare.loc[bare["total_gap"] > 0, "total_cell"]) == {"F10"}  # beyond 0.2 % too
    west = bare.set_index("total_cell").loc["F10"]
    assert (west["member_sum"], west["printed_total"]) == (138242, 137803)


def test_a_documented_gap_that_changed_is_not_excused(parsed):
    pf = parsed("rd-personnel/2022.xls")
    rules = quality.table_rules(pf.table)
    key = (2022, None, "applied_research_fte", "west")
    frame = totals(pf, printed_gaps={**rules.printed_gaps, key: 100.0})
    assert frame.set_index("total_cell").loc["F10", "total_gap"] > 0


def test_the_gate_warns_of_an_undocumented_belt_gap_without_rejecting(parsed, monkeypatch):
    pf = parsed("rd-personnel/2022.xls")
    rules = quality.table_rules(pf.table)
    bare = dataclasses.replace(rules, printed_gaps={})
    module = sys.modules["agglo.quality.validate"]
    monkeypatch.setattr(module, "build_totals", lambda r, _rules, rd: build_totals(r, bare, rd))
    report = module.validate(pf)
    assert report.ok, report.message()
    warned = {r.expectation: r for r in report.warnings}
    assert set(warned) == {"belts_sum_to_subtotals", "sums_within_printed_rounding"}
    text = report.message("warnings")
    assert "cell F10" in text and "gap=439" in text and "west" in text


def test_blanks_the_catalog_explains_are_allowed(parsed):
    pf = parsed("rd-funding-source/2015.xls")
    records, _, _ = build_frames(pf, quality.table_rules(pf.table), refdata())
    blanks = records[records["value_flag"] == "blank"]
    assert set(blanks["source_cell"]) == {"F37", "F40", "F41"} and blanks["blank_allowed"].all()
    assert not records.loc[records["indicator"] == "rd_expenditure", "blank_allowed"].any()
    # without the catalog's word on foreign funds, the same blanks are warnings again
    table = pf.table
    strict = dataclasses.replace(
        table,
        indicators=tuple(dataclasses.replace(i, blank=None) for i in table.indicators),
    )
    rules = dataclasses.replace(quality.table_rules(table), table=strict)
    records, _, _ = build_frames(pf, rules, refdata())
    assert not records["blank_allowed"].any()

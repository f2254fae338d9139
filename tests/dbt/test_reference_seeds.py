"""The rule seeds that dbt and Python share agree with the code that writes or reads them.

- ref_null_reasons: every null_reason code the estimation simulator (estimation/simulate.py) can
  write is a code of the seed (the mart's codes are checked by the dbt test
  delimited_values_in_reference on fct_estimation_panel.null_reason).
- ref_indicator_variables: every source it names is an indicator of a catalog table, and the unit it
  declares is the base unit of the indicator's printed unit (ref_unit_factors).
The catalog's own table rules that dbt needs (row identities, what a printed 全国 covers) are not
seeds: the loader publishes them to raw.catalog_* (tests/agglo/test_warehouse.py).
These read CSV and YAML only (no warehouse, no dbt run).
"""

from __future__ import annotations

import csv

import pytest

from agglo import paths
from agglo.ingest.catalog import load_catalog
from agglo.refdata import RefData
from estimation.simulate import EXOG, knock_out


def _seed(name: str) -> list[dict[str, str]]:
    with (paths.seeds_dir() / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def null_reason_codes() -> set[str]:
    return {r["code"] for r in _seed("ref_null_reasons")}


@pytest.fixture(scope="module")
def simulated(simulate_panel):
    return simulate_panel(3)


def _model_variables(panel) -> list[str]:
    """Variables the simulated panel carries in level and log (as the mart does)."""
    return [c[3:] for c in panel.columns if c.startswith("ln_") and c[3:] in panel.columns]


def test_simulated_panel_has_the_seed_variables(simulated):
    seed_variables = {
        r["variable"] for r in _seed("ref_null_reasons") if r["mart"] == "fct_estimation_panel"
    }
    assert set(_model_variables(simulated)) == seed_variables


def test_every_code_the_simulator_writes_is_in_the_seed(simulated, null_reason_codes):
    written = set()
    # knock_out zeroes the exogenous variables (the endogenous ones are drawn from them)
    for variable in EXOG:
        panel = knock_out(simulated, variable, 2)
        written |= set(panel["null_reason"].dropna())
    assert written, "knock_out wrote no null_reason"
    unknown = written - null_reason_codes
    assert not unknown, (
        f"estimation/simulate.py writes null_reason codes {sorted(unknown)} that "
        "dbt_project/seeds/ref_null_reasons.csv does not list; add them to the seed or fix the "
        "simulator"
    )


def test_null_reason_seed_codes_are_variable_and_condition():
    for i, r in enumerate(_seed("ref_null_reasons"), start=2):
        assert r["code"] == f"{r['variable']}_{r['condition']}", (
            f"ref_null_reasons.csv row {i}: code {r['code']!r} is not "
            f"<variable>_<condition> ({r['variable']}_{r['condition']})"
        )


def test_indicator_variables_name_catalog_indicators_and_their_base_units():
    catalog = load_catalog()
    ref = RefData()
    problems = []
    for i, r in enumerate(_seed("ref_indicator_variables"), start=2):
        where = f"ref_indicator_variables.csv row {i} ({r['table_id']}, {r['indicator']})"
        table = catalog.tables.get(r["table_id"])
        if table is None:
            problems.append(f"{where}: no catalog table raw/catalog/{r['table_id']}.yml")
            continue
        indicator = next((x for x in table.indicators if x.id == r["indicator"]), None)
        if indicator is None:
            problems.append(f"{where}: the catalog table has no indicator {r['indicator']!r}")
            continue
        base = ref.units[indicator.unit].base_unit
        if base != r["unit_std"]:
            problems.append(
                f"{where}: unit_std {r['unit_std']!r}, but the catalog prints "
                f"{indicator.unit!r}, whose base unit is {base!r}"
            )
    assert not problems, "\n".join(problems)

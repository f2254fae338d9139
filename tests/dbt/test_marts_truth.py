"""The marts reproduce the demo generator's true variables (raw/demo/_truth/panel.csv) up to the
yearbooks' rounding.

Every ingredient the generator prints is its truth, except high-tech output and new-product sales,
which it prints rounded to 万元: vocal and innov may differ from the truth by that rounding (the
bound is computed per row), every other variable only by floating point.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dbt_support import demo_dir

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.reference]

EXACT = ["size", "pgdp", "open", "infr", "educ", "deve", "know", "tech", "dim"]
HALF_WAN_IN_100M = 0.5e-4  # half a printed 万元, in 亿元 (the truth panel's unit)


@pytest.fixture(scope="module")
def compared(built) -> pd.DataFrame:
    truth = pd.read_csv(demo_dir() / "_truth" / "panel.csv", dtype={"province_code": str})
    mart = built.query("select * from marts.fct_estimation_panel")
    both = truth.merge(
        mart, on=["province_code", "year", "industry_code"], how="outer", suffixes=("_t", ""),
        indicator=True,
    )  # fmt: skip
    unmatched = both.loc[both["_merge"] != "both", ["province_code", "year", "industry_code"]]
    assert unmatched.empty, f"rows in only one of truth and mart:\n{unmatched}"
    return both


@pytest.mark.parametrize("variable", EXACT)
def test_exact_variables_match_truth(compared, variable):
    rel = (compared[variable] / compared[f"{variable}_t"] - 1).abs()
    worst = compared.loc[rel.idxmax(), ["province_code", "year", "industry_code"]].tolist()
    assert rel.max() < 1e-9, f"{variable}: max relative error {rel.max():.3g} at {worst}"


def test_vocal_matches_truth_up_to_rounding(compared):
    c = compared
    n = c.groupby(["year", "industry_code"])["province_code"].transform("count")
    bound = (
        HALF_WAN_IN_100M / c["ht_output_100m_yuan"]
        + n * HALF_WAN_IN_100M / c["ht_output_national_100m_yuan"]
    )
    rel = (c["vocal"] / c["vocal_t"] - 1).abs()
    bad = c.loc[rel > 1.01 * bound + 1e-12, ["province_code", "year", "industry_code"]]
    assert bad.empty, (
        f"vocal off by more than the printed rounding in {len(bad)} rows: {bad.head()}"
    )
    assert rel.max() > 0  # the bound is not vacuous: the printed values are rounded


def test_innov_matches_truth_up_to_rounding(compared):
    c = compared
    bound = HALF_WAN_IN_100M / c["new_product_sales_100m_yuan"]
    rel = (c["innov"] / c["innov_t"] - 1).abs()
    bad = c.loc[rel > 1.01 * bound + 1e-12, ["province_code", "year", "industry_code"]]
    assert bad.empty, (
        f"innov off by more than the printed rounding in {len(bad)} rows: {bad.head()}"
    )


def test_regions_match_truth(compared):
    assert (compared["region"] == compared["region_t"]).all()


def test_logs_are_logs_of_levels(compared):
    for v in EXACT + ["vocal", "innov"]:
        assert np.allclose(compared[f"ln_{v}"], np.log(compared[v]), rtol=0, atol=1e-12)

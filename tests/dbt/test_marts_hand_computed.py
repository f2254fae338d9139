"""Location quotients and innovation ratios computed by hand from the demo yearbook cells
(read with agglo.ingest.parse.parse_file) equal the mart values."""

from __future__ import annotations

import pandas as pd
import pytest
from dbt_support import demo_file

from agglo.ingest.parse import parse_file

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WAN = 1e4  # 万元 → 元
YI = 1e8  # 亿元 → 元

CASES = [("44", 2015, "T3"), ("11", 2006, "T1"), ("54", 2012, "T2"), ("32", 2010, "T"),
         ("61", 2013, "T5")]  # fmt: skip


def _provinces(path, indicator, industry=None) -> pd.Series:
    r = parse_file(path).records
    r = r[(r["entity_kind"] == "province") & (r["indicator"] == indicator)]
    if industry is not None:
        r = r[r["industry_code"] == industry]
    return r.set_index("province_code")["value"]


@pytest.mark.parametrize(("province", "year", "industry"), CASES)
def test_location_quotient_by_hand(built, province, year, industry):
    q_i = _provinces(demo_file("ht/output_by_industry", year), "gross_output", industry) * WAN
    q = _provinces(demo_file("csy/industrial_enterprises", year), "gross_output") * YI
    expected = (q_i[province] / q[province]) / (q_i.sum() / q.sum())
    mart = built.query(
        "select * from marts.fct_location_quotient "
        f"where province_code = '{province}' and year = {year} and industry_code = '{industry}'"
    ).iloc[0]
    assert mart["industry_output_yuan"] == pytest.approx(q_i[province], rel=1e-12)
    assert mart["province_industrial_output_yuan"] == pytest.approx(q[province], rel=1e-12)
    assert mart["national_industry_output_yuan"] == pytest.approx(q_i.sum(), rel=1e-12)
    assert mart["national_industrial_output_yuan"] == pytest.approx(q.sum(), rel=1e-12)
    assert mart["location_quotient"] == pytest.approx(expected, rel=1e-12)
    assert mart["output_measure"] == "gross_output"
    panel = built.query(
        "select vocal, ln_vocal from marts.fct_estimation_panel "
        f"where province_code = '{province}' and year = {year} and industry_code = '{industry}'"
    ).iloc[0]
    assert panel["vocal"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("province", "year", "industry"), CASES)
def test_innovation_ratio_by_hand(built, province, year, industry):
    nps = _provinces(demo_file("ht/new_product_sales_by_industry", year), "new_product_sales",
                     industry) * WAN  # fmt: skip
    gdp = _provinces(demo_file("csy/gdp", year), "gdp") * YI
    expected = nps[province] / gdp[province]
    mart = built.query(
        "select * from marts.fct_innovation_ratio "
        f"where province_code = '{province}' and year = {year} and industry_code = '{industry}'"
    ).iloc[0]
    assert mart["innovation_ratio"] == pytest.approx(expected, rel=1e-12)
    panel = built.query(
        "select innov from marts.fct_estimation_panel "
        f"where province_code = '{province}' and year = {year} and industry_code = '{industry}'"
    ).iloc[0]
    assert panel["innov"] == pytest.approx(expected, rel=1e-12)

"""The demo-data generator: determinism, completeness, round trip through the parser, the truth."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglo import paths
from agglo.demo import DEFAULT_SEED, generate, model, tables, truth
from agglo.ingest.catalog import load_catalog
from agglo.ingest.readers import read_workbook
from agglo.refdata import refdata

YEARS = list(range(2006, 2016))
DATA_SUFFIXES = {".xlsx", ".xls", ".csv"}
REPLICATIONS = 2  # keep the tests fast; the committed files use truth.REPLICATIONS

# unit of each truth column (the generator's frames), for converting parsed values
TRUTH_UNITS = {
    "_100m_yuan": "亿元",
    "_10k": "万人",
    "_1000usd": "千美元",
    "_10k_m2": "万平方米",
    "_yuan_per_100usd": "元/100美元",
    "_pct": "%",
}
PLAIN_UNITS = {
    "ht_enterprises": "个",
    "invention_patents": "件",
    "industrial_enterprises": "个",
    "etdz_zones": "个",
    "students": "人",
    "teachers": "人",
    "graduates": "人",
    "new_entrants": "人",
    "staff": "人",
    "papers": "篇",
    "papers_abroad": "篇",
    "citations": "次",
}


def truth_unit(column: str) -> str:
    for suffix, unit in TRUTH_UNITS.items():
        if column.endswith(suffix):
            return unit
    return PLAIN_UNITS[column]


# The truth CSVs hold computed floats printed with ``truth.FLOAT_FORMAT`` (10 significant digits).
# Another machine (CPU, BLAS kernel, SIMD exp/log) may round the last printed digit differently:
# one unit in the 10th digit is at most 1e-9 relative. The reference estimates carry their own
# kernel-dependent error, the condition number of the 2SLS design times eps: ≈ 8e5 × 2.2e-16 for
# the worst (T3 eq 1, solved by QR), measured 4e-10 between two OpenBLAS kernels. A real change to
# the generator moves values by far more than 1e-8.
TRUTH_RTOL = 1e-8
TRUTH_ATOL = 1e-12  # values that are zero up to rounding (e.g. a year effect of exactly zero)
TRUTH_FILES = ("panel.csv", "intercepts.csv", "province_year.csv", "reference_estimates.csv")


def assert_truth_csv_close(actual: Path, expected: Path, hint: str) -> None:
    """Same columns, rows and text; floats equal within TRUTH_RTOL (see above)."""
    a = pd.read_csv(actual, dtype={"province_code": str})
    b = pd.read_csv(expected, dtype={"province_code": str})
    assert list(a.columns) == list(b.columns), f"{actual.name}: columns differ; {hint}"
    assert len(a) == len(b), f"{actual.name}: {len(a)} rows, expected {len(b)}; {hint}"
    for col in a.columns:
        if pd.api.types.is_float_dtype(a[col]) or pd.api.types.is_float_dtype(b[col]):
            x, y = a[col].to_numpy(dtype=float), b[col].to_numpy(dtype=float)
            close = np.isclose(x, y, rtol=TRUTH_RTOL, atol=TRUTH_ATOL, equal_nan=True)
            bad = np.flatnonzero(~close)
            assert not len(bad), (
                f"{actual.name}: column {col!r} differs beyond rtol {TRUTH_RTOL} in "
                f"{len(bad)} row(s), first row {bad[0] + 2}: {x[bad[0]]!r} vs {y[bad[0]]!r}; {hint}"
            )
        else:
            assert a[col].equals(b[col]), f"{actual.name}: column {col!r} differs; {hint}"


def data_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix in DATA_SUFFIXES and not any(part.startswith("_") for part in p.parts)
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(out, seed=DEFAULT_SEED, replications=REPLICATIONS)
    return out


@pytest.fixture(scope="module")
def panel(demo) -> pd.DataFrame:
    return pd.read_csv(demo / "_truth" / "panel.csv", dtype={"province_code": str})


@pytest.fixture(scope="module")
def province_year(demo) -> pd.DataFrame:
    return pd.read_csv(demo / "_truth" / "province_year.csv", dtype={"province_code": str})


@pytest.fixture(scope="module")
def parsed(demo) -> dict[Path, object]:
    parse = pytest.importorskip("agglo.ingest.parse")
    catalog = load_catalog()
    return {path: parse.parse_file(path, catalog=catalog) for path in data_files(demo)}


# -- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_identical_files(demo, tmp_path):
    again = tmp_path / "again"
    written = generate(again, seed=DEFAULT_SEED, replications=REPLICATIONS)
    first = sorted(p.relative_to(demo) for p in demo.rglob("*") if p.is_file())
    second = sorted(p.relative_to(again) for p in written)
    assert first == second
    for rel in first:
        a, b = (demo / rel).read_bytes(), (again / rel).read_bytes()
        if rel.parent.name == "_truth" and rel.suffix == ".csv":
            assert_truth_csv_close(again / rel, demo / rel, "the generator is not deterministic")
        elif rel.suffix in (".csv", ".md"):  # yearbook extracts: numbers rounded as printed
            assert a == b, f"{rel} differs between two runs"
        else:  # spreadsheets: the cells must be identical (and in fact the bytes are)
            cells_a = [(s.name, s.rows, s.merged) for s in read_workbook(demo / rel)]
            cells_b = [(s.name, s.rows, s.merged) for s in read_workbook(again / rel)]
            assert cells_a == cells_b, f"{rel}: cells differ between two runs"
            assert a == b, f"{rel}: bytes differ between two runs"


def test_another_seed_gives_another_world():
    a = model.simulate(DEFAULT_SEED).industry["ht_output_100m_yuan"].to_numpy()
    b = model.simulate(DEFAULT_SEED + 1).industry["ht_output_100m_yuan"].to_numpy()
    assert not np.allclose(a, b)


# -- completeness ------------------------------------------------------------------------------


def test_every_demo_table_has_a_catalog_entry():
    catalog = load_catalog()
    entity = {"province": "province_year", "industry": "province_year_industry", "year": "year"}
    for t in tables.TABLES:
        spec = catalog[t.table_id]
        assert (spec.yearbook, spec.table) == (t.yearbook, t.table)
        assert spec.entity == entity[t.entity]
        assert {i.id for i in t.indicators} == {i.id for i in spec.indicators}
        for name in t.file_names():
            assert spec.matches_path(f"raw/demo/{t.folder}/{name}"), t.table_id
        assert spec.matches_title(f"{t.number} {t.title_zh}")


def test_every_catalog_demo_table_has_every_year(demo, parsed):
    catalog = load_catalog()
    demo_ids = {t.table_id for t in tables.TABLES}
    years_by_table: dict[str, set[int]] = {}
    for result in parsed.values():
        assert result.table.table_id in demo_ids
        years_by_table.setdefault(result.table.table_id, set()).update(result.data_years)
    for t in tables.TABLES:
        assert catalog[t.table_id]
        assert set(YEARS) <= years_by_table.get(t.table_id, set()), t.table_id
        if t.entity != "year":
            for year in YEARS:
                assert (demo / t.folder / f"{year}.{t.ext}").is_file()


def test_formats_and_encodings(demo):
    formats = {t.fmt for t in tables.TABLES}
    assert formats == {"xlsx", "xls", "csv"}
    encodings = {t.encoding for t in tables.TABLES if t.fmt == "csv"}
    assert "gb18030" in encodings and any(e.startswith("utf-8") for e in encodings)
    gb = next(t for t in tables.TABLES if t.encoding == "gb18030")
    raw = (demo / gb.folder / "2006.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert gb.title_zh in raw.decode("gb18030")


# -- round trip through the parser ---------------------------------------------------------------


def _expected(records: pd.DataFrame, table: tables.TableDef, province_year, panel):
    """Truth value (in the truth column's unit) and that unit for every record."""
    rd = refdata()
    by_ind = {i.id: i for i in table.indicators}
    codes = list(rd.provinces)
    members = {"national": codes} | {
        r: [c for c in codes if rd.region(c) == r] for r in ("east", "central", "west")
    }
    frame = panel if table.entity == "industry" else province_year.assign(industry_code="-")
    lookup = {
        key: g.set_index("province_code") for key, g in frame.groupby(["year", "industry_code"])
    }
    out = []
    for r in records.itertuples():
        ind = by_ind[r.indicator]
        industry = r.industry_code if table.entity == "industry" else "-"
        values = lookup[(r.data_year, industry)][ind.quantity]
        if r.entity_kind == "province":
            value = values[r.province_code]
        else:
            part = values[members[r.aggregate_code]]
            if not part.notna().any():
                value = np.nan
            elif ind.weight:  # a rate: the printed total is a weighted mean
                w = lookup[(r.data_year, industry)][ind.weight][members[r.aggregate_code]]
                value = (part * w).sum() / w[part.notna()].sum()
            else:
                value = part.sum()
        out.append((value, truth_unit(ind.quantity)))
    return out


def _decimals(raw: str) -> int:
    return len(raw.split(".")[1]) if "." in raw else 0


def test_written_values_round_trip(parsed, province_year, panel):
    rd = refdata()
    checked = 0
    for path, result in parsed.items():
        table = tables.TABLES_BY_ID[result.table.table_id]
        rec = result.records
        assert not result.warnings, f"{path}: {result.warnings}"
        if table.entity == "year":
            for r in rec.itertuples():
                assert r.unit == "元/100美元"
                assert r.value == pytest.approx(model.USD_RATE[r.data_year], abs=0.005)
            continue
        provinces = rec[rec["entity_kind"] == "province"]
        per_column = provinces.groupby(["industry_code", "indicator"], dropna=False)
        assert (per_column["province_code"].nunique() == 31).all(), path
        expected = _expected(rec, table, province_year, panel)
        for r, (truth_value, unit) in zip(rec.itertuples(), expected, strict=True):
            where = f"{path.name} {r.source_cell} {r.name_raw} {r.indicator} {r.industry_code}"
            if r.value_flag == "blank":
                assert math.isnan(truth_value), f"{where}: blank but the truth is {truth_value}"
                continue
            assert r.value_flag is None or pd.isna(r.value_flag), where
            factor = rd.factor(r.unit, unit)  # printed unit -> truth unit
            half = 0.5 * 10.0 ** -_decimals(r.value_raw) * factor
            assert abs(r.value * factor - truth_value) <= half * (1 + 1e-9) + 1e-9 * abs(
                truth_value
            ), f"{where}: printed {r.value_raw} {r.unit}, truth {truth_value} {unit}"
            checked += 1
    assert checked > 15000


def test_printed_aggregates_add_up(parsed):
    for path, result in parsed.items():
        rec = result.records.dropna(subset=["value"])
        if result.table.row_key != "province":
            continue
        table = tables.TABLES_BY_ID[result.table.table_id]
        rates = {i.id for i in table.indicators if i.weight}
        rec = rec[~rec["indicator"].isin(rates)]
        for (ind, industry), g in rec.groupby(["indicator", rec["industry_code"].fillna("-")]):
            prov = g[g["entity_kind"] == "province"]
            national = g[g["aggregate_code"] == "national"]["value"]
            assert len(national) == 1
            dec = max(_decimals(v) for v in g["value_raw"])
            tol = 0.5 * 10.0**-dec * (len(prov) + 1)
            assert abs(prov["value"].sum() - national.iloc[0]) <= tol, (path, ind, industry)


def test_unit_change_is_real(parsed, province_year):
    table = tables.TABLES_BY_ID["dz_etdz_output"]
    spec = load_catalog()["dz_etdz_output"]
    assert any("万元" in n and "亿元" in n for n in spec.notes)
    seen = {}
    for path, result in parsed.items():
        if result.table.table_id != table.table_id:
            continue
        rec = result.records
        (year,) = result.data_years
        units = set(rec.loc[rec["indicator"] == "gross_output", "unit"])
        seen[year] = units
        sheet = read_workbook(path)[0]
        unit_line = " ".join(sheet.rows[2])
        want = "万元" if year < model.DZ_UNIT_CHANGE_YEAR else "亿元"
        assert units == {want} and want in unit_line, (year, units, unit_line)
        raws = rec.loc[(rec["indicator"] == "gross_output") & rec["value"].notna(), "value_raw"]
        assert all(("." in v) == (want == "亿元") for v in raws)
    assert sorted(seen) == YEARS
    # the same quantity on both sides of the change: 2010 in 万元 and 2011 in 亿元 are of one size
    national = province_year.groupby("year")["etdz_output_100m_yuan"].sum()
    assert 0.7 < national[2011] / national[2010] < 1.5


def test_name_variants_and_blanks_are_present(demo, parsed):
    names = set()
    blanks = 0
    for result in parsed.values():
        names.update(result.records["name_raw"])
        blanks += int((result.records["value_flag"] == "blank").sum())
    assert {"北    京", "北  京", "北\u3000京", "北京", "北京市", "内蒙古自治区"} <= names
    assert {"全国", "东部地区", "中部地区", "西部地区"} <= names
    assert blanks > 0


# -- the truth ---------------------------------------------------------------------------------


def test_lq_identity_holds(panel):
    weight = panel["industrial_output_100m_yuan"] / panel["industrial_output_national_100m_yuan"]
    mean_lq = (weight * panel["vocal"]).groupby([panel["industry_code"], panel["year"]]).sum()
    assert np.allclose(mean_lq, 1.0, atol=1e-8)
    q_share = panel["ht_output_100m_yuan"] / panel["ht_output_national_100m_yuan"]
    assert np.allclose(panel["vocal"], q_share / weight, rtol=1e-8)


def test_t_is_the_sum_of_t1_to_t5(panel):
    keys = ["province_code", "year"]
    quantities = [
        "ht_output_100m_yuan",
        "new_product_sales_100m_yuan",
        "ht_enterprises",
        "invention_patents",
    ]
    t = panel[panel["industry_code"] == "T"].set_index(keys)[quantities].sort_index()
    parts = panel[panel["industry_code"] != "T"].groupby(keys)[quantities].sum().sort_index()
    assert set(panel["industry_code"]) == set(model.ALL_INDUSTRIES)
    assert np.allclose(t.to_numpy(), parts.to_numpy(), rtol=1e-9)


def test_structural_equations_hold(demo, panel):
    params = pd.read_csv(demo / "_truth" / "parameters.csv")
    alpha = pd.read_csv(demo / "_truth" / "intercepts.csv").set_index(["industry_code", "year"])
    for ind in model.INDUSTRIES:
        d = panel[panel["industry_code"] == ind]
        p = params[params["industry"] == ind].set_index(["equation", "term"])["true_value"]

        def ln(col, d=d):
            return np.log(d[col].to_numpy())

        a = p["agglomeration"]
        b = p["innovation"]
        intercept = alpha.loc[ind].loc[d["year"], "alpha"].to_numpy()
        e = ln("vocal") - (
            intercept + a["ln_innov"] * ln("innov") + a["ln_size"] * ln("size")
            + a["ln_pgdp"] * ln("pgdp") + a["ln_open"] * ln("open") + a["ln_infr"] * ln("infr")
        )  # fmt: skip
        u = ln("innov") - (
            b["const"] + b["ln_vocal"] * ln("vocal") + b["ln_size"] * ln("size")
            + b["ln_pgdp"] * ln("pgdp") + b["ln_open"] * ln("open") + b["ln_educ"] * ln("educ")
        )  # fmt: skip
        assert np.allclose(e, d["e_agglomeration"], atol=1e-6), ind
        assert np.allclose(u, d["u_innovation"], atol=1e-6), ind
        assert abs(alpha.loc[ind, "tau"].mean()) < 1e-3
        assert alpha.loc[ind, "alpha"].mean() == pytest.approx(a["const"], abs=1e-3)


def test_variables_follow_the_paper_definitions(panel):
    p = panel
    assert np.allclose(p["innov"], p["new_product_sales_100m_yuan"] / p["gdp_100m_yuan"])
    assert np.allclose(p["size"], p["ht_enterprises"] / p["industrial_enterprises"])
    assert np.allclose(p["dim"], p["size"])
    assert np.allclose(p["pgdp"], p["gdp_100m_yuan"] * 1e8 / (p["population_10k"] * 1e4))
    fie_yuan = p["fie_trade_1000usd"] * 1e3 * p["usd_rate_yuan_per_100usd"] / 100
    assert np.allclose(p["open"], fie_yuan / (p["gdp_100m_yuan"] * 1e8))
    assert np.allclose(p["infr"], p["road_area_10k_m2"] / p["population_10k"])
    assert np.allclose(p["educ"], p["students"] / p["teachers"])
    assert np.allclose(p["deve"], p["etdz_output_100m_yuan"] / p["gdp_100m_yuan"])
    assert np.allclose(p["know"], p["citations"] / p["papers"])
    assert np.allclose(p["tech"], p["invention_patents"])
    positive = ["vocal", "innov", "size", "pgdp", "open", "infr", "educ", "deve", "know", "tech"]
    assert (p[positive] > 0).all().all()


def _published() -> pd.DataFrame | None:
    path = paths.shared_dir() / "paper" / "published_coefficients.csv"
    if not path.is_file():
        return None
    pub = pd.read_csv(path)
    return pub[(pub["sample_region"] == "national") & pub["table"].isin([1, 2, 6, 7])]


def test_true_parameters_are_the_published_ones(demo):
    params = pd.read_csv(demo / "_truth" / "parameters.csv")
    structural = params[params["industry"] != "T"]
    claimed = structural[structural["note"].str.startswith("published Table", na=False)]
    assert len(claimed) == 5 * 10 - 1  # every slope of T1-T5 but T3's a1
    assert np.allclose(claimed["true_value"], claimed["published_value"])
    modified = structural[structural["note"].str.startswith("MODIFIED", na=False)]
    assert modified[["equation", "industry", "term"]].values.tolist() == [
        ["agglomeration", "T3", "ln_innov"]
    ]
    interactions = structural[structural["term"].str.contains("_x_|lag_")]
    assert (interactions["true_value"] == 0).all() and len(interactions) == 5 * 6
    assert params.loc[params["industry"] == "T", "true_value"].isna().all()
    pub = _published()
    if pub is None:
        pytest.skip("../shared/paper/published_coefficients.csv not available")
    table_of = {"agglomeration": 2, "innovation": 1}
    for r in params[params["term"].str.startswith("ln_")].itertuples():
        want_table = (
            (7 if r.equation == "agglomeration" else 6) if "_x_" in r.term else table_of[r.equation]
        )
        row = pub[
            (pub["table"] == want_table)
            & (pub["sample_industry"] == r.industry)
            & (pub["term"] == r.term)
        ]
        assert len(row) == 1, (r.equation, r.industry, r.term)
        assert r.published_value == pytest.approx(row["coef"].iloc[0])


def test_estimates_from_the_printed_files_match_the_reference(demo, parsed):
    """Rebuild the variables from the parsed files (as the pipeline will) and re-estimate."""
    rd = refdata()
    frames = [r.records for r in parsed.values()]
    rec = pd.concat(frames, ignore_index=True)
    rate = rec[rec["table_id"] == "csy_exchange_rate"].set_index("data_year")["value"]
    prov = rec[rec["entity_kind"] == "province"].copy()
    prov["value"] = [
        v
        * rd.factor(
            u, {"cny": "元", "persons": "人", "area": "平方米"}.get(rd.units[u].dimension, u)
        )
        for v, u in zip(prov["value"], prov["unit"], strict=True)
    ]

    def get(table_id, indicator, industry=None):
        s = prov[(prov["table_id"] == table_id) & (prov["indicator"] == indicator)]
        if industry:
            s = s[s["industry_code"] == industry]
        return s.set_index(["province_code", "data_year"])["value"]

    base = pd.DataFrame(
        {
            "gdp": get("csy_gdp", "gdp"),
            "pop": get("csy_population", "population"),
            "q": get("csy_industrial_enterprises", "gross_output"),
            "n_all": get("csy_industrial_enterprises", "enterprises"),
            "fie": get("csy_fie_trade", "imports_exports"),
            "road": get("csy_road_area", "road_area"),
            "students": get("csy_higher_education", "students"),
            "teachers": get("csy_higher_education", "teachers"),
        }
    )
    base["rate"] = rate.reindex(base.index.get_level_values("data_year")).to_numpy() / 100
    out = []
    for ind in model.ALL_INDUSTRIES:
        d = base.copy()
        d["qi"] = get("ht_output_by_industry", "gross_output", ind)
        d["sales"] = get("ht_new_product_sales_by_industry", "new_product_sales", ind)
        d["n"] = get("ht_enterprises_patents_by_industry", "enterprises", ind)
        d = d.reset_index().rename(columns={"data_year": "year"})
        share = d["qi"] / d.groupby("year")["qi"].transform("sum")
        weight = d["q"] / d.groupby("year")["q"].transform("sum")
        d["vocal"] = share / weight
        d["innov"] = d["sales"] / d["gdp"]
        d["size"] = d["n"] / d["n_all"]
        d["pgdp"] = d["gdp"] / d["pop"]
        d["open"] = d["fie"] * 1000 * d["rate"] / d["gdp"]
        d["infr"] = d["road"] / d["pop"]
        d["educ"] = d["students"] / d["teachers"]
        d["industry_code"] = ind
        out.append(d)
    rebuilt = pd.concat(out, ignore_index=True)
    ref = pd.read_csv(demo / "_truth" / "reference_estimates.csv")
    for ind in model.ALL_INDUSTRIES:
        for eq, (est, _) in truth.two_sls(rebuilt, ind).items():
            for term, value in est.items():
                if term == "const":
                    continue
                want = ref.query("equation == @eq and industry == @ind and term == @term")
                assert value == pytest.approx(want["estimate"].iloc[0], abs=0.01), (eq, ind, term)


# -- the committed files ---------------------------------------------------------------------------


def test_committed_demo_files_are_current(demo):
    committed = paths.raw_dir() / "demo"
    if not committed.is_dir():
        pytest.skip("raw/demo has not been generated")
    fresh = {p.relative_to(demo) for p in data_files(demo)}
    have = {p.relative_to(committed) for p in data_files(committed)}
    assert fresh == have, "run `agglo demo-data` to regenerate raw/demo"
    for rel in sorted(fresh):
        assert (committed / rel).read_bytes() == (demo / rel).read_bytes(), (
            f"raw/demo/{rel} is stale: run `agglo demo-data`"
        )
    for name in TRUTH_FILES:
        assert_truth_csv_close(
            committed / "_truth" / name,
            demo / "_truth" / name,
            f"raw/demo/_truth/{name} is stale: run `agglo demo-data`",
        )


def test_sizes_are_small(demo):
    total = sum(p.stat().st_size for p in demo.rglob("*") if p.is_file())
    assert total < 3_000_000

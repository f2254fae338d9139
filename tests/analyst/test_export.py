"""`agglo export`: each format read back and compared with the warehouse; labels in the .dta.

Floats are compared with ``rtol=1e-15`` (about 4 ulp): every format stores IEEE doubles (CSV
through pandas' shortest round-trip repr), so the values come back bit-for-bit; the tolerance only
keeps the comparison a numeric one.
"""

from __future__ import annotations

import json
from collections.abc import Sized

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from agglo.analyst.codebook import build_codebook
from agglo.analyst.db import list_tables
from agglo.analyst.export import file_name
from agglo.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RTOL = 1e-15


@pytest.fixture(scope="session")
def exported(warehouse, tmp_path_factory):
    """Every format, default tables, written through the CLI."""

    def run(fmt: str):
        out = tmp_path_factory.mktemp(f"export-{fmt}")
        assert (
            main(["export", "--format", fmt, "--out", str(out), "--warehouse", str(warehouse)]) == 0
        )
        return out

    return {fmt: run(fmt) for fmt in ("dta", "parquet", "csv", "xlsx")}


@pytest.fixture
def codebook(con):
    return build_codebook(con)


def warehouse_frame(con, qualified: str) -> pd.DataFrame:
    return con.sql(f"select * from {qualified}").df()


def as_text(value) -> str:
    """A warehouse value as the text exports write for lists and JSON."""
    if isinstance(value, np.ndarray | list):
        return json.dumps(
            [v.item() if isinstance(v, np.generic) else v for v in value], ensure_ascii=False
        )
    return value


_TEXT_NUMBERS = {"": np.nan, "True": 1.0, "False": 0.0}


def _is_null(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _as_float(value) -> float:
    """A number read back (text from CSV: "" is NULL, booleans as True/False)."""
    if isinstance(value, str):
        return _TEXT_NUMBERS[value] if value in _TEXT_NUMBERS else float(value)
    return np.nan if value is None else float(value)


def assert_column_equal(expected: pd.Series, actual: pd.Series, what: str) -> None:
    expected = expected.reset_index(drop=True)
    actual = actual.reset_index(drop=True)
    assert len(expected) == len(actual), what
    if pd.api.types.is_bool_dtype(expected.dtype):
        expected = expected.astype(float)
    if pd.api.types.is_numeric_dtype(expected.dtype):
        np.testing.assert_allclose(
            actual.map(_as_float).to_numpy(dtype=float),
            expected.astype(float).to_numpy(),
            rtol=RTOL,
            err_msg=what,
        )
    elif pd.api.types.is_datetime64_any_dtype(expected.dtype):
        exp = expected.dt.tz_convert("UTC").dt.tz_localize(None) if expected.dt.tz else expected
        act = pd.to_datetime(actual.replace("", None))
        act = act.dt.tz_convert("UTC").dt.tz_localize(None) if act.dt.tz else act
        # Stata %tc counts whole milliseconds: within one millisecond (its resolution).
        gap = np.abs((act - exp).dt.total_seconds().to_numpy())
        assert (gap <= 0.001).all(), (what, gap)
    else:
        exp = ["" if _is_null(v) else as_text(v) for v in expected]
        act = ["" if _is_null(v) else str(v) for v in actual]
        assert act == exp, what


def test_default_export_covers_every_mart_and_results_table(exported, con):
    tables = list_tables(con)
    assert {s for s, _ in tables} == {"marts", "results"}
    for fmt in ("dta", "parquet", "csv"):
        names = {p.name for p in exported[fmt].glob(f"*.{fmt}")} - {"codebook.csv"}
        assert names == {file_name(s, t, fmt) for s, t in tables}, fmt
    for fmt, out in exported.items():
        for name in ("codebook.md", "codebook.html", "codebook.csv"):
            assert (out / name).is_file(), (fmt, name)


def test_dta_round_trip_with_value_labels(exported, con, codebook):
    for table in codebook.tables:
        path = exported["dta"] / file_name(table.schema, table.table, "dta")
        with pd.io.stata.StataReader(path) as reader:
            data = reader.read(convert_categoricals=False)
            value_labels = reader.value_labels()
            label_of_var = dict(zip(data.columns, reader._lbllist, strict=True))
        expected = warehouse_frame(con, table.qualified)
        assert list(data.columns) == [c.stata_name for c in table.columns]
        for col in table.columns:
            actual = data[col.stata_name]
            if col.value_labels is not None:
                labels = value_labels[label_of_var[col.stata_name]]
                # numeric keys (province codes) are the values; other keys are the labels
                if col.value_labels.numeric_keys:
                    actual = actual.map(lambda v: "" if np.isnan(v) else str(int(v)))
                else:
                    actual = actual.map(lambda v, lab=labels: "" if np.isnan(v) else lab[int(v)])
            assert_column_equal(expected[col.name], actual, f"{table.qualified}.{col.name}")


def test_dta_variable_labels_and_province_names(exported, con, codebook):
    panel = codebook.table("marts.fct_estimation_panel")
    path = exported["dta"] / "marts_fct_estimation_panel.dta"
    with pd.io.stata.StataReader(path) as reader:
        variable_labels = reader.variable_labels()
        value_labels = reader.value_labels()
        data_label = reader.data_label
    assert variable_labels == {c.stata_name: c.stata_label for c in panel.columns}
    assert all(variable_labels.values())
    assert variable_labels["pgdp"].startswith("GDP per capita [元/人]")
    assert data_label.startswith("The estimation panel")
    names = dict(con.sql("select province_code, name_en from marts.dim_province").fetchall())
    assert value_labels["province_code"] == {int(k): v for k, v in names.items()}
    industries = [i for (i,) in con.sql("select industry_code from marts.dim_industry").fetchall()]
    assert sorted(value_labels["industry_code"].values()) == sorted(industries)
    assert sorted(value_labels["region"].values()) == ["central", "east", "west"]

    # A second, independent reader (ReadStat) sees the same labels.
    frame, meta = pyreadstat.read_dta(str(path))
    assert meta.column_names_to_labels == variable_labels
    assert meta.variable_value_labels["province_code"] == {
        float(k): v for k, v in value_labels["province_code"].items()
    }
    assert (
        len(frame)
        == con.execute("select count(*) from marts.fct_estimation_panel").fetchall()[0][0]
    )


def test_dta_names_stata_cannot_take_are_mapped_in_the_codebook(exported, codebook):
    mapped = [(t, c) for t in codebook.tables for c in t.columns if c.stata_name != c.name]
    text = (exported["dta"] / "codebook.md").read_text(encoding="utf-8")
    for table, col in mapped:
        assert f"**{col.stata_name}**" in text, (table.qualified, col.name)
    book = pd.read_csv(
        exported["dta"] / "codebook.csv", encoding="utf-8-sig", keep_default_na=False
    )
    for table in codebook.tables:
        rows = book[book["table"] == table.qualified]
        assert list(rows["column"]) == [c.name for c in table.columns]
        assert list(rows["stata_name"]) == [c.stata_name for c in table.columns]


def test_parquet_round_trip_with_descriptions(exported, con, codebook):
    for table in codebook.tables:
        path = exported["parquet"] / file_name(table.schema, table.table, "parquet")
        schema = pq.read_schema(path)
        assert schema.metadata[b"table"].decode() == table.qualified
        assert schema.metadata[b"grain"].decode() == table.grain
        for col in table.columns:
            meta = schema.field(col.name).metadata or {}
            assert meta.get(b"description", b"").decode() == col.description, col.name
        data = pd.read_parquet(path)
        expected = warehouse_frame(con, table.qualified)
        assert list(data.columns) == list(expected.columns)
        for name in expected.columns:
            if expected[name].map(lambda v: isinstance(v, np.ndarray | list)).any():
                # a NULL list is None in one reader and pd.NA in the other
                assert [list(v) if isinstance(v, Sized) else None for v in data[name]] == [
                    list(v) if isinstance(v, Sized) else None for v in expected[name]
                ], name
            else:
                assert_column_equal(expected[name], data[name], f"{table.qualified}.{name}")


def test_parquet_description_of_a_panel_column(exported):
    schema = pq.read_schema(exported["parquet"] / "marts_fct_estimation_panel.parquet")
    meta = schema.field("pgdp").metadata
    assert meta[b"unit"].decode() == "元/人" and meta[b"formula"].decode().startswith(
        "GDP / year-end"
    )


def test_csv_round_trip_utf8_with_bom(exported, con, codebook):
    for table in codebook.tables:
        path = exported["csv"] / file_name(table.schema, table.table, "csv")
        assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
        data = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        expected = warehouse_frame(con, table.qualified)
        assert list(data.columns) == list(expected.columns)
        for name in expected.columns:
            assert_column_equal(expected[name], data[name], f"{table.qualified}.{name}")


def test_csv_keeps_chinese_text(exported):
    text = (exported["csv"] / "marts_dim_province.csv").read_text(encoding="utf-8-sig")
    assert "北京" in text


def test_xlsx_one_sheet_per_table_and_a_codebook(exported, con, codebook):
    path = exported["xlsx"] / "agglo.xlsx"
    sheets = pd.read_excel(path, sheet_name=None, keep_default_na=False, na_values=[])
    book = sheets.pop("codebook")
    assert len(book) == sum(len(t.columns) for t in codebook.tables)
    sheet_of = dict(zip(book["table"], book["sheet"], strict=False))
    assert sorted(sheets) == sorted(set(sheet_of.values()))
    for table in codebook.tables:
        data = pd.read_excel(path, sheet_name=sheet_of[table.qualified], keep_default_na=False)
        expected = warehouse_frame(con, table.qualified)
        assert list(data.columns) == list(expected.columns)
        for name in expected.columns:
            assert_column_equal(expected[name], data[name], f"{table.qualified}.{name}")


def test_export_of_named_tables_and_unknown_names(warehouse, tmp_path, capsys):
    out = tmp_path / "some"
    args = ["--format", "csv", "--out", str(out), "--warehouse", str(warehouse)]
    assert main(["export", "dim_province", "results.models", *args]) == 0
    assert sorted(p.name for p in out.glob("*.csv")) == [
        "codebook.csv",
        "marts_dim_province.csv",
        "results_models.csv",
    ]
    capsys.readouterr()
    assert main(["export", "no_such_table", *args]) == 2
    err = capsys.readouterr().err
    assert "no table 'no_such_table'" in err and "marts.fct_estimation_panel" in err

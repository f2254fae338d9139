"""The demo yearbook tables: what each prints and how it is laid out.

Each :class:`TableDef` matches one catalog entry ``raw/catalog/<table_id>.yml``. :func:`build_grid`
lays out one data year of a table from a :class:`~agglo.demo.model.Simulation`, the way the
yearbook prints it: title (Chinese with table number, then English), unit line(s), a bilingual
multi-row header, the printed national total (and region subtotals in some tables) above the 31
provinces, an English name column and, in some tables, notes below.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from agglo.demo import model
from agglo.demo.layouts import Grid, Num
from agglo.refdata import refdata

# How province names are printed, cycled through the years of a table (offset per table):
# short 北京; spaced4 北    京 (two-character names padded like the printed page); spaced2 北  京;
# full 北京市 / 内蒙古自治区; ideographic 北\u3000京 (full-width space).
NAME_STYLES = ("short", "spaced4", "short", "full", "spaced2", "short", "ideographic")
REGIONS = ("east", "central", "west")

INDUSTRY_ZH_OLD = {
    "T": "高技术产业",
    "T1": "医药制造业",
    "T2": "航空航天器制造业",
    "T3": "电子及通信设备制造业",
    "T4": "电子计算机及办公设备制造业",
    "T5": "医疗设备及仪器仪表制造业",
}
# from 2012 the yearbook uses the 2011 industry classification's names
INDUSTRY_ZH_NEW = {
    **INDUSTRY_ZH_OLD,
    "T": "高技术产业合计",
    "T2": "航空、航天器及设备制造业",
    "T4": "计算机及办公设备制造业",
    "T5": "医疗仪器设备及仪器仪表制造业",
}
INDUSTRY_EN = {
    "T": "High-tech Industry",
    "T1": "Manufacture of Medicines",
    "T2": "Manufacture of Aircrafts and Spacecrafts",
    "T3": "Manufacture of Electronic and Telecommunication Equipment",
    "T4": "Manufacture of Computers and Office Equipment",
    "T5": "Manufacture of Medical Equipments and Meters",
}
INDUSTRY_NAMES_CHANGE_YEAR = 2012


def industry_zh(code: str, year: int) -> str:
    return (INDUSTRY_ZH_NEW if year >= INDUSTRY_NAMES_CHANGE_YEAR else INDUSTRY_ZH_OLD)[code]


def _by_year(mapping: dict[int, object], year: int):
    """Value of the latest key <= year (``{2006: a, 2011: b}``: a for 2006–2010, b from 2011)."""
    return mapping[max((k for k in mapping if k <= year), default=min(mapping))]


@dataclass(frozen=True)
class Indicator:
    """One printed indicator: catalog id, source quantity and how it is printed."""

    id: str
    quantity: str  # column of the simulation's province or industry frame
    zh: str
    en: str
    unit_zh: str | None = None  # per-column unit printed in the header, e.g. "个"
    unit_en: str | None = None
    # {first data year: (factor, decimals)}: printed value = round(quantity * factor, decimals)
    scale: dict[int, tuple[float, int]] = field(default_factory=lambda: {2006: (1.0, 0)})
    # aggregates of a rate are means weighted by this quantity (None: aggregates are sums)
    weight: str | None = None

    def factor(self, year: int) -> tuple[float, int]:
        return _by_year(self.scale, year)


@dataclass(frozen=True)
class TableDef:
    table_id: str
    yearbook: str
    table: str  # folder name and catalog `table`
    number: str
    title_zh: str
    title_en: str
    fmt: str  # xlsx | xls | csv
    indicators: tuple[Indicator, ...]
    entity: str = "province"  # province | industry | year
    encoding: str = "utf-8"
    unit_lines: dict[int, tuple[str, str]] | None = None  # {first year: (zh, en)}
    regions: bool = False  # print the east/central/west subtotals
    header: str = "stacked"  # stacked | newline | industry_over_indicator | indicator_over_industry
    numbers_as_text: bool = False
    name_offset: int = 0
    spacer_after_national: bool = False
    title_year: bool = False
    notes: Callable[[int], list[str]] | None = None
    sheet_name: str = "Sheet1"
    years: tuple[int, ...] = model.YEARS

    @property
    def folder(self) -> str:
        return f"{self.yearbook}/{self.table}"

    @property
    def ext(self) -> str:
        return self.fmt

    def unit_line(self, year: int) -> tuple[str, str] | None:
        return _by_year(self.unit_lines, year) if self.unit_lines else None

    def name_style(self, year: int) -> str:
        return NAME_STYLES[(year + self.name_offset) % len(NAME_STYLES)]

    def file_names(self) -> list[str]:
        """Data files of this table (one per data year; a year table is one multi-year file)."""
        if self.entity == "year":
            return [f"{max(self.years)}.{self.ext}"]
        return [f"{y}.{self.ext}" for y in self.years]


HT_INDUSTRIES = model.ALL_INDUSTRIES

TABLES: tuple[TableDef, ...] = (
    TableDef(
        table_id="ht_output_by_industry",
        yearbook="ht",
        table="output_by_industry",
        number="2-3",
        title_zh="分地区分行业高技术产业当年价总产值和出口交货值",
        title_en="Gross Output Value and Export Delivery Value of High-tech Industry by Region "
        "and Industry",
        fmt="xlsx",
        entity="industry",
        unit_lines={2006: ("单位：万元", "(10 000 yuan)")},
        regions=True,
        header="industry_over_indicator",
        name_offset=0,
        sheet_name="2-3",
        indicators=(
            Indicator(
                "gross_output",
                "ht_output_100m_yuan",
                "当年价总产值",
                "Gross Output Value",
                scale={2006: (1e4, 0)},
            ),
            Indicator(
                "export_delivery",
                "ht_export_delivery_100m_yuan",
                "出口交货值",
                "Export Delivery Value",
                scale={2006: (1e4, 0)},
            ),
        ),  # fmt: skip
        notes=lambda y: ["注：西藏及青海、宁夏航空航天器制造业出口交货值资料暂缺。"],
    ),
    TableDef(
        table_id="ht_new_product_sales_by_industry",
        yearbook="ht",
        table="new_product_sales_by_industry",
        number="2-12",
        title_zh="分地区分行业高技术产业新产品销售收入",
        title_en="Sales Revenue of New Products of High-tech Industry by Region and Industry",
        fmt="xls",
        entity="industry",
        unit_lines={2006: ("单位：万元", "(10 000 yuan)")},
        regions=True,
        header="indicator_over_industry",
        name_offset=1,
        spacer_after_national=True,
        sheet_name="2-12",
        indicators=(
            Indicator(
                "new_product_sales",
                "new_product_sales_100m_yuan",
                "新产品销售收入",
                "Sales Revenue of New Products",
                scale={2006: (1e4, 0)},
            ),
        ),  # fmt: skip
    ),
    TableDef(
        table_id="ht_enterprises_patents_by_industry",
        yearbook="ht",
        table="enterprises_patents_by_industry",
        number="2-1",
        title_zh="分地区分行业高技术产业企业数和拥有发明专利数",
        title_en="Number of Enterprises and Invention Patents Owned of High-tech Industry by "
        "Region and Industry",
        fmt="csv",
        encoding="utf-8",
        entity="industry",
        regions=True,
        header="industry_over_indicator",
        name_offset=2,
        indicators=(
            Indicator(
                "enterprises", "ht_enterprises", "企业数", "Number of Enterprises", "个", "unit"
            ),
            Indicator(
                "invention_patents",
                "invention_patents",
                "拥有发明专利数",
                "Number of Invention Patents Owned",
                "件",
                "piece",
            ),
        ),  # fmt: skip
    ),
    TableDef(
        table_id="csy_gdp",
        yearbook="csy",
        table="gdp",
        number="3-9",
        title_zh="分地区生产总值",
        title_en="Gross Regional Product by Region",
        fmt="xls",
        unit_lines={2006: ("单位：亿元", "(100 million yuan)")},
        name_offset=3,
        sheet_name="3-9",
        indicators=(
            Indicator(
                "gdp",
                "gdp_100m_yuan",
                "地区生产总值",
                "Gross Regional Product",
                scale={2006: (1.0, 2)},
            ),
            Indicator(
                "gdp_primary",
                "gdp_primary_100m_yuan",
                "第一产业",
                "Primary Industry",
                scale={2006: (1.0, 2)},
            ),
            Indicator(
                "gdp_secondary",
                "gdp_secondary_100m_yuan",
                "第二产业",
                "Secondary Industry",
                scale={2006: (1.0, 2)},
            ),
            Indicator(
                "gdp_tertiary",
                "gdp_tertiary_100m_yuan",
                "第三产业",
                "Tertiary Industry",
                scale={2006: (1.0, 2)},
            ),
        ),  # fmt: skip
    ),
    TableDef(
        table_id="csy_population",
        yearbook="csy",
        table="population",
        number="2-7",
        title_zh="分地区年末人口数",
        title_en="Population at Year-end by Region",
        fmt="csv",
        encoding="utf-8-sig",
        unit_lines={2006: ("单位：万人", "(10 000 persons)")},
        name_offset=4,
        indicators=(
            Indicator("population", "population_10k", "年末人口", "Total Population"),
            Indicator("population_urban", "population_urban_10k", "城镇人口", "Urban Population"),
            Indicator("population_rural", "population_rural_10k", "乡村人口", "Rural Population"),
        ),
    ),
    TableDef(
        table_id="csy_industrial_enterprises",
        yearbook="csy",
        table="industrial_enterprises",
        number="13-3",
        title_zh="按地区分规模以上工业企业主要指标",
        title_en="Main Indicators of Industrial Enterprises above Designated Size by Region",
        fmt="xlsx",
        name_offset=5,
        sheet_name="13-3",
        indicators=(
            Indicator(
                "enterprises",
                "industrial_enterprises",
                "企业单位数",
                "Number of Enterprises",
                "个",
                "unit",
            ),
            Indicator(
                "gross_output",
                "industrial_output_100m_yuan",
                "工业总产值",
                "Gross Industrial Output Value",
                "亿元",
                "100 million yuan",
                scale={2006: (1.0, 2)},
            ),
            Indicator(
                "total_assets",
                "industrial_assets_100m_yuan",
                "资产总计",
                "Total Assets",
                "亿元",
                "100 million yuan",
                scale={2006: (1.0, 2)},
            ),
        ),  # fmt: skip
        notes=lambda y: (
            ["注：2011年起，规模以上工业企业起点标准由年主营业务收入500万元提高到2000万元。"]
            if y >= 2011
            else []
        ),
    ),
    TableDef(
        table_id="csy_fie_trade",
        yearbook="csy",
        table="fie_trade",
        number="11-9",
        title_zh="按境内目的地和货源地分外商投资企业货物进出口总额",
        title_en="Total Imports and Exports of Foreign-invested Enterprises by Domestic "
        "Destination and Source",
        fmt="xls",
        unit_lines={2006: ("单位：千美元", "(1000 US dollars)")},
        name_offset=6,
        sheet_name="11-9",
        indicators=(
            Indicator(
                "imports_exports", "fie_trade_1000usd", "进出口总额", "Total Imports and Exports"
            ),
            Indicator("exports", "fie_exports_1000usd", "出口总额", "Total Exports"),
            Indicator("imports", "fie_imports_1000usd", "进口总额", "Total Imports"),
        ),  # fmt: skip
    ),
    TableDef(
        table_id="csy_exchange_rate",
        yearbook="csy",
        table="exchange_rate",
        number="11-3",
        title_zh="人民币汇率（年平均价）",
        title_en="Exchange Rate of RMB (Annual Average)",
        fmt="xls",
        entity="year",
        unit_lines={2006: ("单位：元/100美元", "(yuan/100 US dollars)")},
        header="newline",
        sheet_name="11-3",
        indicators=(
            Indicator(
                "usd_rate",
                "usd_rate_yuan_per_100usd",
                "100美元",
                "100 US Dollars",
                scale={2006: (1.0, 2)},
            ),
        ),  # fmt: skip
    ),
    TableDef(
        table_id="csy_road_area",
        yearbook="csy",
        table="road_area",
        number="25-17",
        title_zh="分地区城市道路面积和用水普及率",
        title_en="Area of Urban Roads and Water Coverage Rate by Region",
        fmt="csv",
        encoding="gb18030",
        unit_lines={2006: ("单位：万平方米", "(10 000 sq.m)")},
        name_offset=1,
        indicators=(
            Indicator("road_area", "road_area_10k_m2", "城市道路面积", "Area of Urban Roads"),
            Indicator(
                "water_coverage",
                "water_coverage_pct",
                "用水普及率",
                "Water Coverage Rate",
                "%",
                "%",
                scale={2006: (1.0, 2)},
                weight="population_urban_10k",
            ),
        ),  # fmt: skip
    ),
    TableDef(
        table_id="csy_higher_education",
        yearbook="csy",
        table="higher_education",
        number="21-11",
        title_zh="各地区普通高等学校学生和教师情况",
        title_en="Students and Teachers of Regular Institutions of Higher Education by Region",
        fmt="xlsx",
        unit_lines={2006: ("单位：人", "(person)")},
        header="newline",
        numbers_as_text=True,
        name_offset=2,
        sheet_name="Sheet1",
        indicators=(
            Indicator("graduates", "graduates", "毕业生数", "Graduates"),
            Indicator("new_entrants", "new_entrants", "招生数", "New Entrants"),
            Indicator("students", "students", "在校学生数", "Students Enrolled"),
            Indicator("staff", "staff", "教职工数", "Staff and Workers"),
            Indicator("teachers", "teachers", "专任教师数", "Full-time Teachers"),
        ),
    ),
    TableDef(
        table_id="dz_etdz_output",
        yearbook="dz",
        table="etdz_output",
        number="2-1",
        title_zh="国家级经济技术开发区主要经济指标（按地区分）",
        title_en="Main Economic Indicators of National Economic and Technological Development "
        "Zones by Region",
        fmt="xls",
        unit_lines={
            2006: ("单位：万元", "(10 000 yuan)"),
            model.DZ_UNIT_CHANGE_YEAR: ("单位：亿元", "(100 million yuan)"),
        },
        regions=True,
        name_offset=3,
        spacer_after_national=True,
        sheet_name="2-1",
        indicators=(
            Indicator("zones", "etdz_zones", "开发区个数", "Number of Zones", "个", "unit"),
            Indicator(
                "gross_output",
                "etdz_output_100m_yuan",
                "工业总产值",
                "Gross Industrial Output Value",
                scale={2006: (1e4, 0), model.DZ_UNIT_CHANGE_YEAR: (1.0, 2)},
            ),
        ),  # fmt: skip
    ),
    TableDef(
        table_id="st_hei_papers",
        yearbook="st",
        table="hei_papers",
        number="3-21",
        title_zh="各地区高等学校发表科技论文及被引用情况",
        title_en="Sci-tech Papers Published by Higher Education Institutions and Their Citations "
        "by Region",
        fmt="xlsx",
        regions=True,
        title_year=True,
        name_offset=4,
        sheet_name="3-21",
        indicators=(
            Indicator("papers", "papers", "发表科技论文", "Papers Published", "篇", "piece"),
            Indicator(
                "papers_abroad", "papers_abroad", "#国外发表", "#Published Abroad", "篇", "piece"
            ),
            Indicator("citations", "citations", "被引次数", "Times Cited", "次", "times"),
        ),  # fmt: skip
    ),
)

TABLES_BY_ID = {t.table_id: t for t in TABLES}


# -- row labels -----------------------------------------------------------------------------------


def province_label(code: str, style: str) -> str:
    p = refdata().provinces[code]
    name = p.name_short_zh
    if style == "full":
        return p.name_full_zh
    if len(name) == 2 and style in ("spaced4", "spaced2", "ideographic"):
        gap = {"spaced4": "    ", "spaced2": "  ", "ideographic": "\u3000"}[style]
        return name[0] + gap + name[1]
    return name


def aggregate_label(code: str, style: str) -> str:
    name = refdata().aggregates[code]["name_zh"]
    if code == "national" and style in ("spaced4", "spaced2"):
        return name[0] + ("    " if style == "spaced4" else "  ") + name[1]
    return name


def aggregate_label_en(code: str, year: int) -> str:
    if code == "central" and year % 2:
        return "Middle Region"
    return refdata().aggregates[code]["name_en"]


# -- values ---------------------------------------------------------------------------------------


class Values:
    """Exact quantities of one data year, by province, and their printed aggregates."""

    def __init__(self, sim: model.Simulation, year: int) -> None:
        rd = refdata()
        self.codes = list(rd.provinces)
        self.position = {c: n for n, c in enumerate(self.codes)}
        self.members = {"national": np.arange(len(self.codes))} | {
            r: np.array([n for n, c in enumerate(self.codes) if rd.region(c) == r]) for r in REGIONS
        }
        self.province = sim.province[sim.province["year"] == year].set_index("province_code")
        ind = sim.industry[sim.industry["year"] == year]
        self.industry = {
            code: frame.set_index("province_code") for code, frame in ind.groupby("industry_code")
        }
        self._cache: dict[tuple[str, str | None], np.ndarray] = {}

    def series(self, quantity: str, industry: str | None = None) -> np.ndarray:
        key = (quantity, industry)
        if key not in self._cache:
            frame = self.industry[industry] if industry else self.province
            self._cache[key] = frame[quantity].reindex(self.codes).to_numpy(dtype=float)
        return self._cache[key]

    def row_values(
        self,
        quantity: str,
        industry: str | None,
        entity: tuple[str, str],
        weight: str | None = None,
    ) -> float:
        """A province's value, or an aggregate: the sum (or the ``weight``-weighted mean)."""
        kind, code = entity
        s = self.series(quantity, industry)
        if kind == "province":
            return float(s[self.position[code]])
        part = s[self.members[code]]
        if not np.isfinite(part).any():
            return float("nan")
        if weight:
            w = self.series(weight)[self.members[code]]
            return float(np.nansum(part * w) / np.sum(w[np.isfinite(part)]))
        return float(np.nansum(part))


def _num(value: float, factor: float, decimals: int, as_text: bool) -> Num | None:
    if value is None or math.isnan(value):
        return None
    return Num(float(model.printed(value * factor, decimals)), decimals, as_text)


# -- grids ----------------------------------------------------------------------------------------


def _title_rows(grid: Grid, table: TableDef, year: int) -> None:
    zh = f"{table.number}  {table.title_zh}"
    en = table.title_en
    if table.title_year:
        zh += f"（{year}年）"
        en += f" ({year})"
    grid.add([zh])
    grid.add([en])
    unit = table.unit_line(year)
    if unit:
        grid.add(list(unit))
    else:
        grid.add([])


def _entities(table: TableDef) -> list[tuple[str, str]]:
    rows = [("aggregate", "national")]
    if table.regions:
        rows += [("aggregate", r) for r in REGIONS]
    return rows + [("province", c) for c in refdata().provinces]


def _columns(table: TableDef, year: int) -> list[tuple[str | None, Indicator]]:
    if table.entity != "industry":
        return [(None, ind) for ind in table.indicators]
    if table.header == "indicator_over_industry":
        return [(i, ind) for ind in table.indicators for i in HT_INDUSTRIES]
    return [(i, ind) for i in HT_INDUSTRIES for ind in table.indicators]


def _indicator_cells(ind: Indicator) -> tuple[str, str]:
    zh = ind.zh + (f"({ind.unit_zh})" if ind.unit_zh else "")
    en = ind.en + (f" ({ind.unit_en})" if ind.unit_en else "")
    return zh, en


def _header(grid: Grid, table: TableDef, year: int, columns) -> None:
    first = len(grid.rows)
    label = ["地    区", "Region"]
    n = len(columns)
    if table.header == "newline":
        cells = []
        for _, ind in columns:
            parts = [ind.zh] + ([f"({ind.unit_zh})"] if ind.unit_zh else [])
            parts += [ind.en] + ([f"({ind.unit_en})"] if ind.unit_en else [])
            cells.append("\n".join(parts))
        grid.add(label + cells)
    elif table.header == "stacked":
        grid.add(label + [ind.zh for _, ind in columns])
        if any(ind.unit_zh for _, ind in columns):
            grid.add(["", ""] + [f"({ind.unit_zh})" if ind.unit_zh else None for _, ind in columns])
        grid.add(["", ""] + [ind.en for _, ind in columns])
        if any(ind.unit_en for _, ind in columns):
            grid.add(["", ""] + [f"({ind.unit_en})" if ind.unit_en else None for _, ind in columns])
    elif table.header == "industry_over_indicator":
        k = len(table.indicators)
        r_zh = grid.add(label + [industry_zh(i, year) if j % k == 0 else None
                                 for j, (i, _) in enumerate(columns)])  # fmt: skip
        r_en = grid.add(["", ""] + [INDUSTRY_EN[i] if j % k == 0 else None
                                    for j, (i, _) in enumerate(columns)])  # fmt: skip
        grid.add(["", ""] + [_indicator_cells(ind)[0] for _, ind in columns])
        grid.add(["", ""] + [_indicator_cells(ind)[1] for _, ind in columns])
        for j in range(0, n, k):
            grid.merge(r_zh, 2 + j, r_zh, 2 + j + k - 1)
            grid.merge(r_en, 2 + j, r_en, 2 + j + k - 1)
    elif table.header == "indicator_over_industry":
        # one spanning heading cell (Chinese over English) above the industries
        k = len(HT_INDUSTRIES)
        r_head = grid.add(label + ["\n".join(_indicator_cells(ind)) if j % k == 0 else None
                                   for j, (_, ind) in enumerate(columns)])  # fmt: skip
        grid.add(["", ""] + [industry_zh(i, year) for i, _ in columns])
        grid.add(["", ""] + [INDUSTRY_EN[i] for i, _ in columns])
        for j in range(0, n, k):
            grid.merge(r_head, 2 + j, r_head, 2 + j + k - 1)
    else:
        raise ValueError(f"unknown header layout {table.header!r}")
    last = len(grid.rows) - 1
    # blank out the "" placeholders (label columns below the first header row) and merge them
    for r in range(first + 1, last + 1):
        grid.rows[r][0] = grid.rows[r][1] = None
    grid.merge(first, 0, last, 0)
    grid.merge(first, 1, last, 1)


def build_grid(table: TableDef, sim: model.Simulation, year: int) -> Grid:
    """One data year of ``table`` as the yearbook prints it."""
    if table.entity == "year":
        return _build_year_table(table, sim, year)
    grid = Grid(sheet_name=table.sheet_name)
    _title_rows(grid, table, year)
    columns = _columns(table, year)
    _header(grid, table, year, columns)
    values = Values(sim, year)
    style = table.name_style(year)
    for kind, code in _entities(table):
        if kind == "aggregate":
            labels = [aggregate_label(code, style), aggregate_label_en(code, year)]
        else:
            labels = [province_label(code, style), refdata().provinces[code].name_en]
        cells = []
        for industry, ind in columns:
            factor, decimals = ind.factor(year)
            v = values.row_values(ind.quantity, industry, (kind, code), ind.weight)
            cells.append(_num(v, factor, decimals, table.numbers_as_text))
        grid.add(labels + cells)
        if code == "national" and table.spacer_after_national:
            grid.add([])
    for note in table.notes(year) if table.notes else []:
        grid.add([note])
    grid.widths = {0: 12, 1: 18} | {c: 14 for c in range(2, 2 + len(columns))}
    return grid


def _build_year_table(table: TableDef, sim: model.Simulation, last_year: int) -> Grid:
    grid = Grid(sheet_name=table.sheet_name)
    grid.add([f"{table.number}  {table.title_zh}"])
    grid.add([table.title_en])
    grid.add(list(table.unit_line(last_year) or []))
    cells = []
    for ind in table.indicators:
        cells.append(f"{ind.zh}\n{ind.en}")
    grid.add(["年  份\nYear", *cells])
    rates = model.USD_RATE
    for y in sorted(rates):
        if y > last_year:
            continue
        row: list = [str(y)]
        for ind in table.indicators:
            factor, decimals = ind.factor(y)
            row.append(_num(rates[y], factor, decimals, table.numbers_as_text))
        grid.add(row)
    grid.add(
        ["注：2005年7月21日起实行以市场供求为基础、参考一篮子货币进行调节、有管理的浮动汇率制度。"]
    )
    grid.widths = {0: 12, 1: 16}
    return grid

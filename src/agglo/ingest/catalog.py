"""The table catalog: one YAML file per yearbook table under ``raw/catalog/``.

A catalog entry says how to recognise a table (title or path patterns), what each row is (a
province or a year), which indicators its columns hold (header patterns that work in every year),
their units, and how to tell the data year. Reading a new year of a known table needs no code; a new
table needs one entry. See README "Adding a yearbook table" for the fields with an example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from agglo import paths
from agglo.errors import CatalogError

ENTITIES = ("province_year", "province_year_industry", "year")
YEAR_SOURCES = ("title", "filename", "columns", "row")
COLUMN_KEYS = ("indicator", "year")
INDUSTRY_AXES = ("columns", "sheets", "blocks")


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator (column) of a table."""

    id: str
    label: str
    patterns: tuple[str, ...]
    unit: str
    exclude: tuple[str, ...] = ()
    required: bool = True
    non_negative: bool = True
    # what a blank cell means where the table prints one (None: a blank is unexpected): ``zero``
    # (nothing to report, or less than half the printed unit; sums count it as 0) or
    # ``not_reported`` (unknown; sums that need it are not reconciled)
    blank: str | None = None

    def matches(self, header: str) -> bool:
        """True when the column header text identifies this indicator."""
        return any(re.search(p, header, re.IGNORECASE) for p in self.patterns) and not any(
            re.search(p, header, re.IGNORECASE) for p in self.exclude
        )


@dataclass(frozen=True)
class Identity:
    """A row identity of a table: ``total`` = the sum of ``parts`` in every printed row (catalog
    field ``identities``). Used to repair a cell the scan misread (:mod:`agglo.ingest.repair`)."""

    total: str
    parts: tuple[str, ...]

    @property
    def indicators(self) -> tuple[str, ...]:
        return (self.total, *self.parts)

    def __str__(self) -> str:
        return f"{self.total} = {' + '.join(self.parts)}"


BLANK_MEANINGS = ("zero", "not_reported")


@dataclass(frozen=True)
class DataYearRule:
    """Where the data year of a file comes from: ``sources`` in order of precedence.

    ``title``: the year printed in the sheet's title lines (``(2013年)``, ``(2013)``, ``2013年``);
    ``filename``: a free-standing 4-digit year in the file name; ``columns``: the latest year
    column of a ``column_key: year`` table; ``row``: each row's label is a year (``row_key: year``
    tables; alone). The first source that gives a year is the data year, and every other listed
    source that gives one must agree (else the file is rejected). ``offset`` turns a printed
    edition year into a data year (a 2016 edition carries 2015 data: offset -1); it applies to
    titles and file names, not to printed year rows or columns.
    """

    sources: tuple[str, ...] = ("title", "filename")
    offset: int = 0

    @property
    def source(self) -> str:
        """``row`` for per-row years, else the first source (kept for older callers)."""
        return "row" if "row" in self.sources else self.sources[0]


@dataclass(frozen=True)
class TableSpec:
    """A catalog entry: everything the parser needs to read any year of one yearbook table."""

    table_id: str
    yearbook: str
    table: str
    title: str
    table_number: str | None
    title_patterns: tuple[str, ...]
    path_patterns: tuple[str, ...]
    entity: str
    row_key: str
    column_key: str
    industry: str | None
    industry_axis: str | None
    data_year: DataYearRule
    default_unit: str | None
    indicators: tuple[IndicatorSpec, ...]
    description: str = ""
    source_file: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    # out-of-scope regions (ref_out_of_scope_regions) that the printed national total includes
    # besides the 31 provinces (patent tables: 全国 = provinces + Hong Kong + Macao + Taiwan)
    national_total_includes: tuple[str, ...] = ()
    # row identities (total = sum of parts in every row), catalog field ``identities``
    identities: tuple[Identity, ...] = ()

    def indicator(self, indicator_id: str) -> IndicatorSpec:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def matches_title(self, text: str) -> bool:
        return any(re.search(p, text, re.IGNORECASE) for p in self.title_patterns)

    def matches_path(self, path: str | Path) -> bool:
        posix = Path(path).as_posix()
        return any(re.search(p, posix, re.IGNORECASE) for p in self.path_patterns)


@dataclass(frozen=True)
class Catalog:
    tables: dict[str, TableSpec]
    directory: Path

    def __getitem__(self, table_id: str) -> TableSpec:
        try:
            return self.tables[table_id]
        except KeyError:
            known = ", ".join(sorted(self.tables)) or "(none)"
            raise CatalogError(
                f"no catalog table {table_id!r}",
                hint=f"known tables: {known}; add raw/catalog/{table_id}.yml to describe a new one",
            ) from None

    def __iter__(self):
        return iter(self.tables.values())

    def __len__(self) -> int:
        return len(self.tables)


def _tuple(value, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise CatalogError(f"{key} must be a string or a list of strings", file=where)


def _check_regexes(patterns: tuple[str, ...], where: str, key: str) -> None:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise CatalogError(
                f"{key}: invalid regular expression {p!r} ({exc})", file=where
            ) from None


def _require(doc: dict, key: str, where: str):
    if key not in doc or doc[key] in (None, ""):
        raise CatalogError(f"missing required field {key!r}", file=where)
    return doc[key]


def parse_entry(doc: dict, where: str) -> TableSpec:
    """Validate one catalog document and build its :class:`TableSpec`."""
    if not isinstance(doc, dict):
        raise CatalogError("a catalog entry must be a YAML mapping", file=where)
    table_id = _require(doc, "table_id", where)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", str(table_id)):
        raise CatalogError(f"table_id {table_id!r} must be lower snake_case", file=where)
    entity = doc.get("entity", "province_year")
    if entity not in ENTITIES:
        raise CatalogError(f"entity must be one of {ENTITIES}, not {entity!r}", file=where)
    row_key = doc.get("row_key", "year" if entity == "year" else "province")
    if row_key not in ("province", "year"):
        raise CatalogError(f"row_key must be 'province' or 'year', not {row_key!r}", file=where)
    industry_axis = doc.get("industry_axis")
    if entity == "province_year_industry":
        industry_axis = industry_axis or "columns"
        if industry_axis not in INDUSTRY_AXES:
            raise CatalogError(f"industry_axis must be one of {INDUSTRY_AXES}", file=where)
    column_key = doc.get("column_key", "indicator")
    if column_key not in COLUMN_KEYS:
        raise CatalogError(
            f"column_key must be one of {COLUMN_KEYS}, not {column_key!r}", file=where
        )
    if column_key == "year" and row_key == "year":
        raise CatalogError("row_key and column_key cannot both be year", file=where)
    dy = doc.get("data_year") or {}
    if not isinstance(dy, dict):
        raise CatalogError("data_year must be a mapping {from: ..., offset: ...}", file=where)
    default = ["row"] if row_key == "year" else ["title", "filename"]
    sources = _tuple(dy.get("from", default), where, "data_year.from")
    rule = DataYearRule(sources=sources, offset=int(dy.get("offset", 0)))
    bad = [s for s in sources if s not in YEAR_SOURCES]
    if bad or not sources or len(set(sources)) != len(sources):
        raise CatalogError(
            f"data_year.from must list distinct sources among {YEAR_SOURCES}, not {sources}",
            file=where,
        )
    if ("row" in sources) != (row_key == "year") or ("row" in sources and len(sources) > 1):
        raise CatalogError(
            "data_year.from: row (alone) is for row_key: year tables, and they need it", file=where
        )
    if "columns" in sources and column_key != "year":
        raise CatalogError("data_year.from: columns needs column_key: year", file=where)

    indicators = []
    raw_inds = _require(doc, "indicators", where)
    if not isinstance(raw_inds, list):
        raise CatalogError("indicators must be a list", file=where)
    seen: set[str] = set()
    for i, ind in enumerate(raw_inds):
        iw = f"{where} (indicators[{i}])"
        if not isinstance(ind, dict):
            raise CatalogError("each indicator must be a mapping", file=iw)
        iid = _require(ind, "id", iw)
        if iid in seen:
            raise CatalogError(f"indicator id {iid!r} appears twice", file=iw)
        seen.add(iid)
        patterns = _tuple(_require(ind, "patterns", iw), iw, "patterns")
        exclude = _tuple(ind.get("exclude"), iw, "exclude")
        _check_regexes(patterns + exclude, iw, "patterns")
        indicators.append(
            IndicatorSpec(
                id=iid,
                label=ind.get("label", iid),
                patterns=patterns,
                exclude=exclude,
                unit=_require(ind, "unit", iw),
                required=bool(ind.get("required", True)),
                non_negative=bool(ind.get("non_negative", True)),
                blank=_blank(ind.get("blank"), iw),
            )
        )
    identities = _identities(doc.get("identities"), seen, where)
    title_patterns = _tuple(doc.get("title_patterns"), where, "title_patterns")
    path_patterns = _tuple(doc.get("path_patterns"), where, "path_patterns")
    if not title_patterns and not path_patterns:
        raise CatalogError(
            "give title_patterns or path_patterns to recognise the table", file=where
        )
    _check_regexes(title_patterns + path_patterns, where, "title_patterns/path_patterns")
    return TableSpec(
        table_id=table_id,
        yearbook=_require(doc, "yearbook", where),
        table=_require(doc, "table", where),
        title=_require(doc, "title", where),
        table_number=str(doc["table_number"]) if doc.get("table_number") is not None else None,
        title_patterns=title_patterns,
        path_patterns=path_patterns,
        entity=entity,
        row_key=row_key,
        column_key=column_key,
        industry=doc.get("industry"),
        industry_axis=industry_axis,
        data_year=rule,
        default_unit=doc.get("default_unit"),
        indicators=tuple(indicators),
        description=doc.get("description", ""),
        source_file=where,
        notes=_tuple(doc.get("notes"), where, "notes"),
        national_total_includes=_tuple(
            doc.get("national_total_includes"), where, "national_total_includes"
        ),
        identities=identities,
    )


def _blank(value, where: str) -> str | None:
    if value is None or value in BLANK_MEANINGS:
        return value
    raise CatalogError(
        f"blank must be one of {BLANK_MEANINGS} (or left out), not {value!r}", file=where
    )


def _identities(value, indicators: set[str], where: str) -> tuple[Identity, ...]:
    """``identities: [{total: a, parts: [b, c]}, …]``: indicators of the table, 2+ parts."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise CatalogError("identities must be a list of {total: ..., parts: [...]}", file=where)
    out = []
    for i, item in enumerate(value):
        iw = f"{where} (identities[{i}])"
        if not isinstance(item, dict) or set(item) != {"total", "parts"}:
            raise CatalogError("an identity is a mapping {total: ID, parts: [ID, ...]}", file=iw)
        parts = _tuple(item["parts"], iw, "parts")
        ids = (item["total"], *parts)
        unknown = [x for x in ids if x not in indicators]
        if unknown or len(parts) < 2 or len(set(ids)) != len(ids):
            raise CatalogError(
                f"identity {item['total']} = {' + '.join(parts)}: needs a total and two or more "
                f"distinct parts, all indicators of the table (unknown: {unknown or 'none'})",
                file=iw,
            )
        out.append(Identity(item["total"], parts))
    return tuple(out)


def load_catalog(directory: str | Path | None = None) -> Catalog:
    """Read every ``*.yml`` under the catalog directory (default ``raw/catalog``)."""
    directory = Path(directory) if directory else paths.catalog_dir()
    if not directory.is_dir():
        raise CatalogError(f"catalog directory {directory} does not exist")
    tables: dict[str, TableSpec] = {}
    for path in sorted(directory.glob("*.y*ml")):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise CatalogError(f"not valid YAML: {exc}", file=str(path)) from None
        spec = parse_entry(doc, str(path))
        if spec.table_id in tables:
            first = tables[spec.table_id].source_file
            raise CatalogError(
                f"table_id {spec.table_id!r} is also defined in {first}",
                file=str(path),
            )
        tables[spec.table_id] = spec
    return Catalog(tables=tables, directory=directory)

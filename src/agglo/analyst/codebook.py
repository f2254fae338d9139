"""The codebook: one row per column of every mart and results table, from the dbt documentation.

Each column's description follows the project's convention (see the marts' yml):
``"<label>, <unit>. Formula: <formula>. Source: <tables>. <notes>"``. The codebook splits it:

* **label** — the first sentence (up to ``. ``, ``; `` or the end, outside parentheses); when its
  last comma-separated part names a unit, that part is the **unit**. A part names a unit when it
  contains a CJK character (元, 人/年, 平方米), starts with ``unitless``, ``count``, ``JSON``,
  ``timestamp`` or ``a list of``, says ``per`` (``students per teacher``) or ``statistic``.
* **formula** / **source** — the text after ``Formula:`` / ``Source:``, to the end of the sentence.
* **notes** — the remaining sentences.

A table's **grain** is the sentence after ``Grain:`` in its description, else its ``one row per …``
phrase. The Stata name of each column (:func:`stata_names`) and the value labels of coded text
columns (:func:`value_labels`) are part of the codebook, so every export carries the same map.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from agglo import paths
from agglo.analyst.db import DEFAULT_SCHEMAS, connect, list_tables
from agglo.analyst.docs import ColumnDoc, Docs, RelationDoc, load_docs
from agglo.errors import AggloError

STATA_LABEL_MAX = 80  # characters of a Stata variable or data label
STATA_NAME_MAX = 32
# Names Stata reserves ([U] 11.3) and those pandas' Stata writer also refuses (Mata words); a
# column with one of these names is renamed with a trailing underscore.
_STATA_RESERVED_WORDS = """
    _all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _se _skip str# strL
    using with aggregate array boolean break case catch class colvector complex const continue
    default delegate delete do else eltypedef end enum explicit export external for friend
    function global goto inline local NULL pragma protected quad rowvector short typedef
    typename virtual
"""
STATA_RESERVED = frozenset(_STATA_RESERVED_WORDS.split())
_UNIT = re.compile(
    r"[\u3400-\u9fff]|^(unitless|count|json|timestamp|a list of)\b|\bper\b|\bstatistic\b",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- descriptions


def _sentence_end(text: str, start: int = 0) -> int:
    """Index where the sentence starting at ``start`` ends: ``. ``/``; ``/end, outside brackets."""
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in ".;" and (i + 1 == len(text) or text[i + 1].isspace()):
            return i
    return len(text)


def _sentences(text: str) -> list[str]:
    out, i = [], 0
    while i < len(text):
        end = _sentence_end(text, i)
        piece = text[i:end].strip()
        if piece:
            out.append(piece)
        i = end + 1
    return out


def _split_top_level(text: str, sep: str = ", ") -> list[str]:
    parts, depth, last = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[last:i])
            last = i + len(sep)
    parts.append(text[last:])
    return [p.strip() for p in parts]


@dataclass(frozen=True)
class ParsedDescription:
    label: str = ""
    unit: str = ""
    formula: str = ""
    source: str = ""
    notes: str = ""


def parse_description(text: str) -> ParsedDescription:
    """Split a column description into label, unit, formula, source and notes (module docstring)."""
    label = unit = formula = source = ""
    notes = []
    for i, sentence in enumerate(_sentences(" ".join(text.split()))):
        if sentence.startswith("Formula:"):
            formula = sentence.removeprefix("Formula:").strip()
        elif sentence.startswith("Source:"):
            source = sentence.removeprefix("Source:").strip()
        elif i == 0:
            parts = _split_top_level(sentence)
            if len(parts) > 1 and _UNIT.search(parts[-1]):
                label, unit = ", ".join(parts[:-1]), parts[-1]
            else:
                label = sentence
        else:
            notes.append(sentence)
    return ParsedDescription(label, unit, formula, source, ". ".join(notes))


def grain_of(description: str) -> str:
    """The grain sentence of a table description (``Grain: …`` or ``one row per …``)."""
    for marker in ("Grain:", "one row per", "One row per"):
        at = description.find(marker)
        if at >= 0:
            start = at + len("Grain:") if marker == "Grain:" else at
            grain = description[start : _sentence_end(description, start)].strip()
            return _split_top_level(grain, ": ")[0]  # "one row per industry: T and T1–T5"
    return ""


# --------------------------------------------------------------------------- Stata names, labels


def stata_names(columns: list[str]) -> dict[str, str]:
    """Column name → a valid, unique Stata name (ASCII letters, digits, ``_``; ≤ 32; not reserved).

    Names that are already valid keep their spelling; the others are mapped: other characters
    become ``_``, a leading digit gets a ``_`` prefix, a reserved word a ``_`` suffix, long names
    are cut to 32 characters, and a clash gets ``_2``, ``_3`` … at the end.
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for col in columns:
        name = re.sub(r"[^A-Za-z0-9_]", "_", col) or "_"
        if name[0].isdigit():
            name = "_" + name
        if name in STATA_RESERVED:
            name += "_"
        name = name[:STATA_NAME_MAX]
        candidate, n = name, 1
        while candidate.lower() in taken:
            n += 1
            suffix = f"_{n}"
            candidate = name[: STATA_NAME_MAX - len(suffix)] + suffix
        taken.add(candidate.lower())
        out[col] = candidate
    return out


@dataclass(frozen=True)
class ValueLabels:
    """Integer codes for a text column and their labels (Stata value labels).

    Keys made of digits (province codes) keep their number as the code and take the dimension's
    English name as the label; other keys (``T3``, ``east``) get codes 1, 2, … in the documented
    order and keep the key itself as the label, so either way the key can be read back.
    """

    source: str  # where the key set comes from: "accepted_values" or "relationships → ref.dim"
    keys: tuple[str, ...]
    codes: tuple[int, ...]
    labels: tuple[str, ...]

    @property
    def numeric_keys(self) -> bool:
        return all(k.isdigit() for k in self.keys)

    def mapping(self) -> dict[int, str]:
        return dict(zip(self.codes, self.labels, strict=True))

    def encode(self, values: pd.Series) -> tuple[pd.Series, dict[int, str]]:
        """Codes for ``values`` (NaN for NULL) and the labels; keys not documented are added."""
        code_of = dict(zip(self.keys, self.codes, strict=True))
        labels = self.mapping()
        for key in sorted({str(v) for v in values.dropna().unique()} - set(code_of)):
            if key.isdigit() and self.numeric_keys:
                code_of[key] = int(key)
            else:
                code_of[key] = max([0, *labels, *code_of.values()]) + 1
                labels[code_of[key]] = key
        codes = values.map(lambda v: code_of[str(v)] if pd.notna(v) else None)
        return codes.astype("float64" if values.isna().any() else "int32"), labels


def _dimension_frame(con: duckdb.DuckDBPyConnection, docs: Docs, ref: str) -> pd.DataFrame | None:
    for rel in docs.by_name(ref):
        schemas = [rel.schema] if rel.schema else list(DEFAULT_SCHEMAS)
        for schema in schemas:
            try:
                return con.sql(f'select * from "{schema}"."{rel.relation}"').df()
            except duckdb.CatalogException:
                continue
    return None


def value_labels(
    con: duckdb.DuckDBPyConnection, docs: Docs, column: ColumnDoc | None
) -> ValueLabels | None:
    """Value labels of a documented text column: from its ``accepted_values`` test, else from the
    dimension its ``relationships`` test points to (ordered by its ``sort_order`` if it has one)."""
    if column is None:
        return None
    if column.accepted_values:
        keys = column.accepted_values
        return ValueLabels("accepted_values", keys, tuple(range(1, len(keys) + 1)), tuple(keys))
    if column.references:
        ref, key_field = column.references
        dim = _dimension_frame(con, docs, ref)
        if dim is None or key_field not in dim.columns:
            return None
        dim = dim.dropna(subset=[key_field])
        dim = dim.assign(_key=dim[key_field].astype(str))
        dim = dim.sort_values(["sort_order", "_key"] if "sort_order" in dim.columns else ["_key"])
        dim = dim.drop_duplicates("_key")
        keys = tuple(dim["_key"])
        where = f"relationships → {ref}.{key_field}"
        if keys and all(k.isdigit() for k in keys):
            name_col = next((c for c in ("name_en", "name") if c in dim.columns), key_field)
            return ValueLabels(
                where, keys, tuple(int(k) for k in keys), tuple(dim[name_col].astype(str))
            )
        return ValueLabels(where, keys, tuple(range(1, len(keys) + 1)), keys)
    return None


# --------------------------------------------------------------------------- the codebook


@dataclass
class ColumnEntry:
    name: str
    type: str
    description: str
    parsed: ParsedDescription
    stata_name: str
    value_labels: ValueLabels | None = None

    @property
    def stata_label(self) -> str:
        text = self.parsed.label or self.description or self.name
        if self.parsed.unit:
            text = f"{text} [{self.parsed.unit}]"
        return text if len(text) <= STATA_LABEL_MAX else text[: STATA_LABEL_MAX - 1] + "…"


@dataclass
class TableEntry:
    schema: str
    table: str
    description: str
    grain: str
    n_rows: int
    documented_in: str
    columns: list[ColumnEntry] = field(default_factory=list)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"

    def column(self, name: str) -> ColumnEntry:
        return next(c for c in self.columns if c.name == name)


@dataclass
class Codebook:
    tables: list[TableEntry]
    warehouse: str = ""

    def table(self, qualified: str) -> TableEntry:
        for t in self.tables:
            if t.qualified == qualified:
                return t
        raise KeyError(qualified)

    def to_frame(self) -> pd.DataFrame:
        """One row per column of every table (the xlsx codebook sheet and ``codebook.csv``)."""
        rows = []
        for t in self.tables:
            for i, c in enumerate(t.columns, start=1):
                vl = c.value_labels
                rows.append(
                    {
                        "table": t.qualified,
                        "position": i,
                        "column": c.name,
                        "type": c.type,
                        "label": c.parsed.label,
                        "unit": c.parsed.unit,
                        "formula": c.parsed.formula,
                        "source": c.parsed.source,
                        "notes": c.parsed.notes,
                        "stata_name": c.stata_name,
                        "stata_label": c.stata_label,
                        "value_labels": _value_label_text(vl) if vl else "",
                        "grain": t.grain,
                        "description": c.description,
                    }
                )
        return pd.DataFrame(rows)


def _value_label_text(vl: ValueLabels) -> str:
    return "; ".join(f"{code} = {label}" for code, label in vl.mapping().items())


def build_codebook(
    con: duckdb.DuckDBPyConnection,
    tables: list[tuple[str, str]] | None = None,
    docs: Docs | None = None,
) -> Codebook:
    """The codebook of ``tables`` (default: every table of schemas marts and results)."""
    docs = docs or load_docs()
    tables = tables if tables is not None else list_tables(con)
    entries = []
    for schema, table in tables:
        rel: RelationDoc | None = docs.lookup(schema, table)
        comments = dict(
            con.execute(
                """select column_name, comment from duckdb_columns()
                where database_name = current_database() and schema_name = ? and table_name = ?""",
                [schema, table],
            ).fetchall()
        )
        cols = con.execute(
            """select column_name, data_type from information_schema.columns
            where table_catalog = current_database() and table_schema = ? and table_name = ?
            order by ordinal_position""",
            [schema, table],
        ).fetchall()
        names = stata_names([c for c, _ in cols])
        n_rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
        description = rel.description if rel else ""
        entry = TableEntry(
            schema, table, description, grain_of(description), n_rows, rel.yml if rel else ""
        )
        for name, dtype in cols:
            doc = rel.columns.get(name) if rel else None
            text = (doc.description if doc else "") or (comments.get(name) or "")
            labels = value_labels(con, docs, doc) if dtype == "VARCHAR" else None
            entry.columns.append(
                ColumnEntry(name, dtype, text, parse_description(text), names[name], labels)
            )
        entries.append(entry)
    return Codebook(entries)


def undocumented(codebook: Codebook) -> list[str]:
    """``schema.table.column`` of every column without a description."""
    return [
        f"{t.qualified}.{c.name}" for t in codebook.tables for c in t.columns if not c.description
    ]


# --------------------------------------------------------------------------- rendering

_HEAD = (
    "This codebook is generated from the dbt documentation (`dbt_project/**/*.yml`) and the "
    "warehouse by `agglo codebook` (run by `make docs`); it ships with every `agglo export`. "
    "One row per column. *Stata name* is the variable name in `.dta` exports (mapped when the "
    "column name is not a valid Stata name); *label* [*unit*] is its variable label. The same "
    "descriptions are DuckDB column comments: `describe <table>` in `agglo sql`."
)
_MD_COLUMNS = ("column", "type", "label", "unit", "formula", "source", "notes", "stata_name")


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def to_markdown(codebook: Codebook, files: dict[str, str] | None = None) -> str:
    """The codebook as Markdown; ``files`` maps ``schema.table`` to its exported file name."""
    out = ["# Codebook", "", _HEAD, ""]
    out += ["| table | rows | grain |", "|---|---:|---|"]
    for t in codebook.tables:
        out.append(
            f"| [`{t.qualified}`](#{t.schema}{t.table}) | {t.n_rows} | {_md_cell(t.grain)} |"
        )
    for t in codebook.tables:
        out += ["", f"## {t.qualified}", ""]
        if t.description:
            out += [t.description, ""]
        facts = [f"Rows: {t.n_rows}"]
        if t.grain:
            facts.append(f"Grain: {t.grain}")
        if t.documented_in:
            facts.append(f"Documented in `dbt_project/{t.documented_in}`")
        if files and t.qualified in files:
            facts.append(f"File: `{files[t.qualified]}`")
        out += ["; ".join(facts) + ".", ""]
        out += ["| " + " | ".join(_MD_COLUMNS) + " |", "|" + "---|" * len(_MD_COLUMNS)]
        for c in t.columns:
            p = c.parsed
            stata = c.stata_name if c.stata_name == c.name else f"**{c.stata_name}**"
            label = p.label or ("*(undocumented)*" if not c.description else "")
            cells = [f"`{c.name}`", c.type, label, p.unit, p.formula, p.source, p.notes, stata]
            out.append("| " + " | ".join(_md_cell(x) for x in cells) + " |")
        coded = [c for c in t.columns if c.value_labels]
        if coded:
            out += [
                "",
                "Value labels (Stata): "
                + "; ".join(
                    f"`{c.stata_name}` ({c.value_labels.source}): "
                    + _value_label_text(c.value_labels)
                    for c in coded
                ),
                "",
            ]
    return "\n".join(out).rstrip() + "\n"


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:90em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;
vertical-align:top;text-align:left}th{background:#f3f3f3}code{font-size:.95em}.mapped{color:#b00}
.undoc{color:#b00;font-style:italic}p.facts{color:#444}"""


def to_html(codebook: Codebook, files: dict[str, str] | None = None) -> str:
    """The codebook as one self-contained HTML page (nothing loaded from the network)."""
    e = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Codebook</title>",
        f"<style>{_CSS}</style></head><body><h1>Codebook</h1>",
        f"<p>{e(_HEAD).replace('`', '')}</p>",
        "<table><tr><th>table</th><th>rows</th><th>grain</th></tr>",
    ]
    for t in codebook.tables:
        anchor = f"{t.schema}-{t.table}"
        out.append(
            f"<tr><td><a href='#{e(anchor)}'><code>{e(t.qualified)}</code></a></td>"
            f"<td>{t.n_rows}</td><td>{e(t.grain)}</td></tr>"
        )
    out.append("</table>")
    for t in codebook.tables:
        out.append(f"<h2 id='{e(t.schema)}-{e(t.table)}'>{e(t.qualified)}</h2>")
        if t.description:
            out.append(f"<p>{e(t.description)}</p>")
        facts = [f"Rows: {t.n_rows}"]
        if t.grain:
            facts.append(f"Grain: {t.grain}")
        if files and t.qualified in files:
            facts.append(f"File: {files[t.qualified]}")
        out.append(f"<p class='facts'>{e('; '.join(facts))}</p><table><tr>")
        out.append("".join(f"<th>{e(h)}</th>" for h in _MD_COLUMNS) + "</tr>")
        for c in t.columns:
            p = c.parsed
            label = e(p.label) if c.description else "<span class='undoc'>(undocumented)</span>"
            stata = (
                e(c.stata_name)
                if c.stata_name == c.name
                else f"<span class='mapped'>{e(c.stata_name)}</span>"
            )
            cells = [f"<code>{e(c.name)}</code>", e(c.type), label, e(p.unit), e(p.formula)]
            cells += [e(p.source), e(p.notes), stata]
            out.append("<tr>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
        out.append("</table>")
        for c in t.columns:
            if c.value_labels:
                out.append(
                    f"<p>Value labels of <code>{e(c.stata_name)}</code> "
                    f"({e(c.value_labels.source)}): {e(_value_label_text(c.value_labels))}</p>"
                )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_codebook(
    codebook: Codebook, out_dir: Path, files: dict[str, str] | None = None
) -> list[Path]:
    """Write ``codebook.md`` and ``codebook.html`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md, page = out_dir / "codebook.md", out_dir / "codebook.html"
    md.write_text(to_markdown(codebook, files), encoding="utf-8")
    page.write_text(to_html(codebook, files), encoding="utf-8")
    return [md, page]


def default_out_dir() -> Path:
    return paths.repo_root() / "reports"


def generate(warehouse: Path | None = None, out_dir: Path | None = None) -> list[Path]:
    """``agglo codebook``: the codebook of every mart and results table into ``reports/``."""
    with connect(warehouse) as con:
        codebook = build_codebook(con)
    if not codebook.tables:
        raise AggloError(
            "the warehouse has no mart or results tables", hint="run `make build` first"
        )
    return write_codebook(codebook, out_dir or default_out_dir())

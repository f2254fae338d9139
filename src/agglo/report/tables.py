"""Tables 1–8 in the paper's layout: the one place that lays out paper-style tables.

Derived from the canonical tidy tables (``estimates``, ``models``; the reported equation of each
column) and the published reference (:mod:`estimation.published`); the report layer reads the
estimation library, never the reverse.

**The paper layout** (:func:`table_grid`): per column two sub-columns, *ours* and *paper*; per term
a coefficient row (stars: * p < 0.10, ** p < 0.05, *** p < 0.01) and a statistic row in
parentheses; then the diagnostic rows AR(1), AR(2), Sargan, Hansen (z or chi2 with the p-value in
brackets), Hausman, instruments / groups (rows empty in every column are left out), Adj. R²,
observations. A cell the paper leaves blank is empty; a fit we do not have is ``—``; a fit that
failed says ``failed`` and its reason is in the notes under the table, with every other warning
(dropped rows, instruments vs groups). A published diagnostic cell whose transcription carries a
caveat (the ``note`` column of the published values: Table 5's misprinted FE observation counts)
gets a marker ``[a]`` and the caveat as a note (:class:`PaperCaveats`). :func:`render_tables` /
:func:`write_tables` give all tables as one Markdown or LaTeX document (``agglo tables``), opened
by :data:`SIMULATED_NOTE` when the estimates come from the demo data, each table noting the
specification choices that concern it and the document ending with all of them
(:func:`choices_rows`, from the spec's ``choices:``; the report shows the same rows).

**Ours alone** (:func:`ours_grid`, ``agglo tables --layout ours``): one column per model, as
Stata's ``esttab`` prints them: ``(1) FE east``, coefficient with stars over its statistic, then
observations, R², adj. R², instruments / groups and the tests.

**The report's version** (:func:`build_table`) adds, per column, an *agreement* sub-column: on a
coefficient row the mark (:mod:`agglo.report.agreement`), on its statistic row the difference
ours − paper; :func:`write_table_files` writes it as ``table_N.csv`` and the paper layout as
``table_N.tex``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from agglo import paths
from agglo.errors import AggloError
from agglo.report import agreement as ag
from agglo.warehouse import connect_read_only
from estimation.choices import Choice
from estimation.published import load_published
from estimation.spec import CONST, Spec, load_spec

ESTIMATOR_LABELS = {"3sls": "3SLS", "fe": "FE", "sys_gmm": "SYS-GMM"}
DIAGNOSTIC_ROWS = [
    ("ar1", "AR(1)"),
    ("ar2", "AR(2)"),
    ("sargan", "Sargan"),
    ("hansen", "Hansen"),
    ("hausman", "Hausman (FE vs RE)"),
    ("instruments", "Instruments / groups"),
    ("adj_r2", "Adj. R2"),
    ("nobs", "Observations"),
]
NOT_RUN = "—"


def term_label(term: str) -> str:
    """A term as the paper prints it: ``lnvocal``, ``L.lninnov``, ``lninnov×deve``, Constant."""
    if term == CONST:
        return "Constant"
    if term.startswith("lag_"):
        return "L." + term_label(term.removeprefix("lag_"))
    if "_x_" in term:
        left, right = term.split("_x_", 1)
        return f"{term_label(left)}×{right}"
    return term.replace("_", "")


def stars_text(n: Any) -> str:
    return "*" * int(n) if n is not None and not pd.isna(n) else ""


def _num(x: Any, fmt: str) -> str:
    if x is None or pd.isna(x):
        return ""
    return format(float(x), fmt)


def _test(stat: Any, p: Any, df: Any = None) -> str:
    if stat is None or pd.isna(stat):
        return ""
    head = f"{float(stat):.2f}"
    if df is not None and not pd.isna(df):
        head += f" ({int(df)})"
    return f"{head} [{_num(p, '.2f')}]"


def _merged_terms(lists: Iterable[Sequence[str]]) -> list[str]:
    """Union of term lists in printed order (a new term goes right after its predecessor)."""
    order: list[str] = []
    for terms in lists:
        for i, t in enumerate(terms):
            if t in order:
                continue
            pos = order.index(terms[i - 1]) + 1 if i and terms[i - 1] in order else 0
            order.insert(pos, t)
    return order


def column_head(column, regions: set) -> str:
    """``FE east`` / ``3SLS T1``: the estimator and what the table's columns differ by (the
    region when they span several, else the industry)."""
    sample = column.sample_industry if len(regions) == 1 else column.sample_region
    return f"{ESTIMATOR_LABELS[column.estimator]} {sample}"


def coefficient_cells(row: pd.Series) -> list[str]:
    """Our coefficient with its stars, and its statistic in parentheses below it."""
    return [f"{row['coef']:.3f}{stars_text(row['stars'])}", f"({row['stat']:.2f})"]


def table_grid(
    number: int,
    estimates: pd.DataFrame,
    models: pd.DataFrame,
    *,
    spec: Spec | None = None,
    published: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """One paper table as a grid of strings, and its notes.

    The grid's index is the row label (coefficient rows carry the term label, statistic rows are
    blank); its columns are ``(column label, "ours" | "paper")``.
    """
    spec = spec or load_spec()
    published = load_published() if published is None else published
    table = spec.table(number)
    est = estimates[(estimates["table"] == number) & estimates["reported"].astype(bool)]
    mod = models[(models["table"] == number) & models["reported"].astype(bool)]
    pub = published[published["table"] == number]

    regions = {c.sample_region for c in table.columns}
    terms = _merged_terms(c.reported_equation.terms for c in table.columns)
    labels: list[str] = []
    for t in terms:
        labels += [term_label(t), ""]
    labels += [label for _, label in DIAGNOSTIC_ROWS]

    columns: dict[tuple[str, str], list[str]] = {}
    notes: list[str] = []
    basis: dict[str, pd.Series | None] = {}
    caveats = PaperCaveats()
    for c in table.columns:
        head = column_head(c, regions)
        e = est[est["column_id"] == c.column_id].set_index("term")
        m = mod[mod["column_id"] == c.column_id]
        m = m.iloc[0] if len(m) else None
        p = pub[pub["column_id"] == c.column_id].set_index("term")
        failed = m is not None and m["status"] != "ok"
        ours, paper = [], []
        for t in terms:
            if t in e.index:
                ours += coefficient_cells(e.loc[t])
            else:
                blank = "failed" if failed else (NOT_RUN if m is None else "")
                ours += [blank if t in c.reported_equation.terms else "", ""]
            if t in p.index:
                r = p.loc[t]
                paper += [f"{r['coef']}{stars_text(r['stars'])}", f"({r['stat']})"]
            else:
                paper += ["", ""]
        for key, _ in DIAGNOSTIC_ROWS:
            ours.append(_diagnostic(key, m))
            paper.append(caveats.marked(_published_diagnostic(key, p), p, key))
        columns[(head, "ours")] = ours
        columns[(head, "paper")] = paper
        if m is not None:
            for w in m["warnings"] if m["warnings"] is not None else []:
                notes.append(f"{head}: {w}")
        basis[head] = m
    grid = pd.DataFrame(columns, index=labels)
    grid.columns = pd.MultiIndex.from_tuples(list(columns))
    notes += stars_basis_note(basis)
    diagnostics = [label for key, label in DIAGNOSTIC_ROWS if key not in ("adj_r2", "nobs")]
    empty = [lab for lab in diagnostics if (grid.loc[lab] == "").all()]
    return grid.drop(index=empty), notes + caveats.notes()


class PaperCaveats:
    """Footnotes on published diagnostic cells (observations, AR, Sargan) whose transcription
    carries a caveat of their own in the ``note`` column of the published values (documented in
    ``../shared/paper/published_coefficients.md``): e.g. Table 5's FE observation counts, printed
    out of regional order. The cell gets a marker ``[a]``; one note per distinct caveat."""

    def __init__(self) -> None:
        self._markers: dict[str, str] = {}

    def marked(self, text: str, published: pd.DataFrame, key: str) -> str:
        """``text`` of diagnostic ``key`` in a column whose published rows (by term) are
        ``published``, with the marker of its caveat; a caveat the column's coefficients carry too
        (the column's estimator inferred, say) is about the column, not this cell: no marker."""
        note = published.loc[key, "note"] if key in published.index and text else ""
        coefficients = ~published.index.isin([k for k, _ in DIAGNOSTIC_ROWS])
        if not note or note in set(published.loc[coefficients, "note"]):
            return text
        marker = self._markers.setdefault(note, f"[{chr(ord('a') + len(self._markers))}]")
        return f"{text} {marker}"

    def notes(self) -> list[str]:
        return [f"{marker} Paper: {note}" for note, marker in self._markers.items()]


# Rows under the coefficients of `--layout ours`, in esttab's order: N and fit first, then tests.
OURS_STAT_ROWS = [
    ("nobs", "Observations"),
    ("r2", "R2"),
    ("adj_r2", "Adj. R2"),
    ("instruments", "Instruments / groups"),
    ("ar1", "AR(1)"),
    ("ar2", "AR(2)"),
    ("sargan", "Sargan"),
    ("hansen", "Hansen"),
    ("hausman", "Hausman (FE vs RE)"),
]


def stars_basis_note(models: dict[str, pd.Series | None]) -> list[str]:
    """One note saying what the stars of each column rest on (``results.models.inference``:
    covariance, reference distribution or bootstrap), the columns sharing a basis named together
    with their clusters, so a reader sees whether a table's stars rest on one basis."""
    by_basis: dict[str, list[str]] = {}
    for head, m in models.items():
        inference = None if m is None else m.get("inference")
        if not isinstance(inference, str) or not inference:
            continue
        # "…; p: t(30), 31 clusters" or "…, 11 clusters (why)": the count is the column's own
        found = re.search(r", (\d+) clusters\b.*$", inference)
        basis = inference[: found.start()] if found else inference
        by_basis.setdefault(basis, []).append(f"{head} (G = {found[1]})" if found else head)
    if not by_basis:
        return []
    parts = [f"{', '.join(heads)}: {basis}" for basis, heads in by_basis.items()]
    return ["Stars rest on — " + "; ".join(parts)]


def ours_grid(
    number: int, estimates: pd.DataFrame, models: pd.DataFrame, *, spec: Spec | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """One table as Stata's ``esttab`` prints it: one column per model, ``(1) FE east``; per term
    the coefficient with stars and the statistic in parentheses below; then N, R², Adj. R², the
    instrument count and the tests (rows empty in every column left out). Ours alone: no paper."""
    spec = spec or load_spec()
    table = spec.table(number)
    est = estimates[(estimates["table"] == number) & estimates["reported"].astype(bool)]
    mod = models[(models["table"] == number) & models["reported"].astype(bool)]
    regions = {c.sample_region for c in table.columns}
    terms = _merged_terms(c.reported_equation.terms for c in table.columns)
    labels = [label for t in terms for label in (term_label(t), "")]
    labels += [label for _, label in OURS_STAT_ROWS]
    columns: dict[str, list[str]] = {}
    notes: list[str] = []
    basis: dict[str, pd.Series | None] = {}
    for i, c in enumerate(table.columns, start=1):
        head = column_head(c, regions)
        e = est[est["column_id"] == c.column_id].set_index("term")
        m = mod[mod["column_id"] == c.column_id]
        m = m.iloc[0] if len(m) else None
        cells: list[str] = []
        for t in terms:
            if t in e.index:
                cells += coefficient_cells(e.loc[t])
            elif t in c.reported_equation.terms:
                cells += [NOT_RUN if m is None else "failed" if m["status"] != "ok" else "", ""]
            else:
                cells += ["", ""]
        cells += [_diagnostic(key, m) for key, _ in OURS_STAT_ROWS]
        columns[f"({i}) {head}"] = cells
        if m is not None:
            notes += [
                f"({i}) {head}: {w}" for w in (m["warnings"] if m["warnings"] is not None else [])
            ]
        basis[f"({i}) {head}"] = m
    notes += stars_basis_note(basis)
    grid = pd.DataFrame(columns, index=labels)
    optional = [label for key, label in OURS_STAT_ROWS if key != "nobs"]
    return grid.drop(index=[lab for lab in optional if (grid.loc[lab] == "").all()]), notes


def _diagnostic(key: str, m: pd.Series | None) -> str:
    if m is None:
        return NOT_RUN if key == "nobs" else ""
    if m["status"] != "ok":
        return "failed" if key == "nobs" else ""
    if key in ("ar1", "ar2"):
        return _test(m[f"{key}_z"], m[f"{key}_p"])
    if key in ("sargan", "hansen", "hausman"):
        return _test(m[f"{key}_stat"], m[f"{key}_p"], m[f"{key}_df"])
    if key == "instruments":
        ni = m["n_instruments"]
        if ni is None or pd.isna(ni) or m["estimator"] != "sys_gmm":
            return ""
        return f"{int(ni)} / {int(m['n_groups'])}"
    if key in ("r2", "adj_r2"):
        return _num(m[key], ".3f")
    if key == "nobs":
        return "" if m["nobs"] is None or pd.isna(m["nobs"]) else str(int(m["nobs"]))
    raise KeyError(key)


def _published_diagnostic(key: str, p: pd.DataFrame) -> str:
    if key not in p.index:
        return ""
    r = p.loc[key]
    if key in ("ar1", "ar2", "sargan"):
        return f"{r['stat']} [{r['p_value']}]"
    return str(r["coef"])


# ------------------------------------------------------------------------------------- rendering


def notes_text(stat_kinds: Iterable[str], layout: str = "paper") -> str:
    kinds = "/".join(sorted(set(stat_kinds))) or "z"
    ours = (
        f"coefficient with stars (* p < 0.10, ** p < 0.05, *** p < 0.01), {kinds} statistic "
        "in parentheses; tests as statistic (df) [p]"
    )
    if layout == "ours":
        return f"Our estimates: {ours}; R2 of FE is the within R2."
    return f"Ours: {ours}. Paper: as printed."


SIMULATED_NOTE = (
    "Simulated data: the warehouse holds the simulated demo extracts of raw/demo/, not real "
    "statistics. Their true parameters are the paper's coefficients, so agreement is partial by "
    "design (the report's summary shows the agreement to expect beside the observed)."
)
LAYOUTS = ("paper", "ours")


def to_markdown(grid: pd.DataFrame, title: str, notes: Sequence[str], legend: str) -> str:
    paired = isinstance(grid.columns, pd.MultiIndex)
    heads = [f"{h} ({side})" for h, side in grid.columns] if paired else list(grid.columns)
    lines = [f"### {title}", "", "| | " + " | ".join(heads) + " |"]
    lines.append("|---|" + "|".join("---:" for _ in heads) + "|")
    for label, row in grid.iterrows():
        cells = [str(v).replace("|", "\\|") for v in row]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", legend]
    lines += [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


_LATEX_ESCAPES = {
    "_": r"\_",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "×": r"$\times$",
    "→": r"$\to$",
    "−": r"$-$",
    "–": "--",
    "²": r"\textsuperscript{2}",
}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in str(text))


def to_latex(grid: pd.DataFrame, title: str, notes: Sequence[str], legend: str) -> str:
    n = len(grid.columns)
    lines = [
        r"\begin{table}[htbp]\centering\scriptsize",
        rf"\caption{{{latex_escape(title)}}}",
        rf"\begin{{tabular}}{{l{'r' * n}}}",
        r"\hline",
    ]
    if isinstance(grid.columns, pd.MultiIndex):  # the paper layout: ours beside paper
        heads = list(dict.fromkeys(h for h, _ in grid.columns))
        multi = (rf"\multicolumn{{2}}{{c}}{{{latex_escape(h)}}}" for h in heads)
        lines.append(" & " + " & ".join(multi) + r" \\")
        lines.append(" & " + " & ".join("ours & paper" for _ in heads) + r" \\")
    else:  # one column per model: (1) above its label, as esttab prints it
        numbers, labels = zip(*(str(h).split(" ", 1) for h in grid.columns), strict=True)
        lines.append(" & " + " & ".join(numbers) + r" \\")
        lines.append(" & " + " & ".join(latex_escape(h) for h in labels) + r" \\")
    lines.append(r"\hline")
    for label, row in grid.iterrows():
        lines.append(
            latex_escape(label) + " & " + " & ".join(latex_escape(v) for v in row) + r" \\"
        )
    lines += [r"\hline", r"\end{tabular}", ""]
    lines.append(r"\par\smallskip\parbox{\linewidth}{\footnotesize " + latex_escape(legend))
    lines += [r"\\ " + latex_escape(n) for n in notes]
    lines += ["}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def render_tables(
    estimates: pd.DataFrame,
    models: pd.DataFrame,
    *,
    fmt: str = "md",
    tables: Iterable[int] | None = None,
    spec: Spec | None = None,
    layout: str = "paper",
    simulated: bool = False,
) -> str:
    """All (or the given) tables in one document, Markdown (``md``) or LaTeX (``tex``).

    ``layout``: ``paper`` (ours beside the published values, :func:`table_grid`) or ``ours`` (one
    column per model, :func:`ours_grid`). ``simulated``: the estimates come from the demo data;
    the document opens with :data:`SIMULATED_NOTE`, as the report's banner does."""
    if fmt not in ("md", "tex"):
        raise ValueError("fmt must be 'md' or 'tex'")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    spec = spec or load_spec()
    published = load_published()
    render = to_markdown if fmt == "md" else to_latex
    parts = []
    if simulated:
        parts.append(
            f"> **{SIMULATED_NOTE}**\n"
            if fmt == "md"
            else rf"\noindent\textbf{{{latex_escape(SIMULATED_NOTE)}}}\par" + "\n"
        )
    for number in tables or spec.table_numbers:
        if layout == "ours":
            grid, notes = ours_grid(number, estimates, models, spec=spec)
        else:
            grid, notes = table_grid(number, estimates, models, spec=spec, published=published)
        kinds = estimates.loc[estimates["table"] == number, "stat_kind"].dropna()
        title = f"Table {number}. {spec.table(number).title}"
        notes = [*notes, *choices_note(spec, number)]
        parts.append(render(grid, title, notes, notes_text(kinds, layout)))
    numbers = list(tables or spec.table_numbers)
    parts.append(choices_markdown(spec, numbers) if fmt == "md" else choices_latex(spec, numbers))
    return "\n".join(parts)


def write_tables(
    out_dir: str | Path,
    estimates: pd.DataFrame,
    models: pd.DataFrame,
    *,
    formats: Sequence[str] = ("md", "tex"),
    tables: Iterable[int] | None = None,
    spec: Spec | None = None,
    layout: str = "paper",
    simulated: bool = False,
) -> list[Path]:
    """Write ``tables.md`` / ``tables.tex`` (the given ``formats``) under ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = out / f"tables.{fmt}"
        text = render_tables(
            estimates,
            models,
            fmt=fmt,
            tables=tables,
            spec=spec,
            layout=layout,
            simulated=simulated,
        )
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def results_for_tables(
    source: Any = None, tables: list[int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The estimates and models to lay out: ``source`` is a
    :class:`~estimation.run.RunResult`, a DuckDB connection or a warehouse file (default: the
    project's), read for the latest run covering each table. A warehouse without estimates gives
    empty frames (the tables then show the published values, with ``—`` for ours); a warehouse
    file that does not exist is an error."""
    from estimation.results_store import read_results
    from estimation.run import RunResult

    if isinstance(source, RunResult):
        return source.estimates, source.models
    if source is None or isinstance(source, (str, Path)):
        path = Path(source) if source is not None else paths.warehouse_path()
        if not path.exists():
            raise AggloError(
                f"no warehouse at {path}", hint="build it first (make build) or pass --warehouse"
            )
        with connect_read_only(path) as con:
            return read_results(con, tables)
    return read_results(source, tables)


# ------------------------------------------------------------------------- with agreement marks

AGREEMENT = "agreement"
AGREEMENT_LEGEND = (
    "Agreement (per coefficient, ours vs paper): sign ✓/✗ = same/opposite sign; stars ✓ = same "
    "significance level, else ours vs paper; Δ = ours − paper. The constant is shown, never scored "
    "(it depends on what was centred)."
)
_DIAGNOSTIC_LABELS = {label for _, label in DIAGNOSTIC_ROWS}
COLOUR_LEGEND = "Green: same sign and stars; amber: same sign, different stars; red: opposite sign."


@dataclass
class PaperTable:
    number: int
    title: str
    grid: pd.DataFrame  # table_grid: columns (head, ours|paper)
    notes: list[str]
    legend: str
    full: pd.DataFrame  # grid plus (head, agreement) columns
    status: pd.DataFrame  # agreement status per (row position, head); "" where none
    summary: dict

    @property
    def heads(self) -> list[str]:
        return list(dict.fromkeys(h for h, _ in self.grid.columns))


def build_table(
    number: int,
    estimates: pd.DataFrame,
    models: pd.DataFrame,
    published: pd.DataFrame,
    agreements: pd.DataFrame,
    spec: Spec,
) -> PaperTable:
    grid, notes = table_grid(number, estimates, models, spec=spec, published=published)
    table = spec.table(number)
    heads = list(dict.fromkeys(h for h, _ in grid.columns))
    by_label = {term_label(t): t for c in table.columns for t in c.reported_equation.terms}
    agree = agreements[agreements["table"] == number].set_index(["column_id", "term"])

    marks = pd.DataFrame("", index=range(len(grid)), columns=heads)
    status = pd.DataFrame("", index=range(len(grid)), columns=heads)
    labels = list(grid.index)
    for head, column in zip(heads, table.columns, strict=True):
        for pos, label in enumerate(labels):
            term = by_label.get(label)
            if term is None or (column.column_id, term) not in agree.index:
                continue
            row = agree.loc[(column.column_id, term)]
            if row["status"] == ag.NO_PUBLISHED:
                continue
            marks.loc[pos, head] = row["mark"]
            status.loc[pos, head] = row["status"]
            if pos + 1 < len(labels):  # the statistic row under the coefficient
                marks.loc[pos + 1, head] = row["difference_text"]

    parts = {}
    for head in heads:
        parts[(head, "ours")] = list(grid[(head, "ours")])
        parts[(head, "paper")] = list(grid[(head, "paper")])
        parts[(head, AGREEMENT)] = list(marks[head])
    full = pd.DataFrame(parts, index=grid.index)
    full.columns = pd.MultiIndex.from_tuples(list(parts))

    kinds = estimates.loc[estimates["table"] == number, "stat_kind"].dropna()
    summary = ag.summarise(agreements, [number]).iloc[0].to_dict()
    return PaperTable(
        number=number,
        title=f"Table {number}. {table.title}",
        grid=grid,
        notes=[*notes, *choices_note(spec, number)],
        legend=notes_text(kinds),
        full=full,
        status=status,
        summary=summary,
    )


def html_rows(table: PaperTable) -> list[dict]:
    """Rows for the HTML template: label, kind (coef|stat|diag) and cells (text, css class)."""
    rows = []
    labels = list(table.full.index)
    coefficient_rows = len(labels) - sum(1 for lab in labels if lab in _DIAGNOSTIC_LABELS)
    for pos, label in enumerate(labels):
        kind = "diag" if pos >= coefficient_rows else ("coef" if pos % 2 == 0 else "stat")
        cells = []
        for head in table.heads:
            css = table.status.loc[pos, head]
            if kind == "stat" and pos > 0:
                css = table.status.loc[pos - 1, head]
            for side in ("ours", "paper", AGREEMENT):
                text = str(table.full[(head, side)].iloc[pos])
                cells.append({"text": text, "css": f"{side} {css}".strip() if css else side})
        rows.append({"label": label, "kind": kind, "cells": cells})
    return rows


def write_table_files(table: PaperTable, out_dir: Path) -> list[Path]:
    """``table_N.csv`` (ours, paper, agreement per column) and ``table_N.tex`` (paper layout)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / f"table_{table.number}.csv"
    flat = table.full.copy()
    flat.columns = [f"{head} | {side}" for head, side in flat.columns]
    flat.index.name = "row"
    flat.to_csv(csv, encoding="utf-8")
    tex = out_dir / f"table_{table.number}.tex"
    tex.write_text(to_latex(table.grid, table.title, table.notes, table.legend), encoding="utf-8")
    return [csv, tex]


def markdown(table: PaperTable) -> str:
    text = to_markdown(table.full, table.title, table.notes, table.legend)
    return text + "\n" + AGREEMENT_LEGEND + "\n"


def column_label(estimator: str, industry: str, region: str) -> str:
    return f"{ESTIMATOR_LABELS.get(estimator, estimator)} {industry} {region}"


def diagnostics_frame(models: pd.DataFrame) -> pd.DataFrame:
    """One row per reported fit: instruments vs groups, AR(2), Sargan, Hansen, Hausman + flags."""
    m = models[models["reported"].astype(bool)].copy()
    if m.empty:
        return pd.DataFrame()
    m = m.sort_values(["table", "estimator", "sample_industry", "sample_region"])
    out = pd.DataFrame(
        {
            "table": m["table"].astype(int),
            "column": [
                column_label(e, i, r)
                for e, i, r in zip(
                    m["estimator"], m["sample_industry"], m["sample_region"], strict=True
                )
            ],
            "status": m["status"],
            "nobs": m["nobs"],
            "groups": m["n_groups"],
            "instruments": m["n_instruments"].where(m["estimator"] == "sys_gmm"),
            "ar2_p": m["ar2_p"],
            "sargan_p": m["sargan_p"],
            "hansen_p": m["hansen_p"],
            "hausman_stat": m["hausman_stat"],
            "hausman_df": m["hausman_df"],
            "hausman_p": m["hausman_p"],
        }
    )
    out["too_many_instruments"] = out["instruments"].notna() & (out["instruments"] > out["groups"])
    for test in ("ar2", "sargan", "hansen", "hausman"):
        out[f"{test}_rejects"] = out[f"{test}_p"].map(ag.rejects)
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------ specification choices

CHOICES_TITLE = "Specification choices"
CHOICES_INTRO = (
    "What the paper says (its words, with the line of zhang-agglomeration-innovation.txt), what we "
    "do and why, for every choice behind the tables; from the choices section of the spec file "
    "(estimation/specs/paper.yml), like results.spec_choices."
)


def choice_scope(choice: Choice) -> str:
    """Where a choice applies, for a reader: ``Tables 5, 8; FE; east, central, west``."""
    label = "Table" if len(choice.tables) == 1 else "Tables"
    parts = [f"{label} {', '.join(str(t) for t in choice.tables)}"]
    if choice.estimators is not None:
        parts.append(", ".join(ESTIMATOR_LABELS.get(e, e) for e in choice.estimators))
    parts += [", ".join(v) for v in (choice.industries, choice.regions) if v is not None]
    return "; ".join(parts)


def _choices_of(spec: Spec, tables: Iterable[int] | None) -> list[Choice]:
    numbers = set(spec.table_numbers if tables is None else tables)
    return [c for c in spec.choices if numbers & set(c.tables)]


def choices_note(spec: Spec, number: int) -> list[str]:
    """The note under a table naming its choices (none when the spec lists none for it)."""
    topics = [c.topic for c in _choices_of(spec, [number])]
    if not topics:
        return []
    return [f"{CHOICES_TITLE} for this table (each explained there): " + "; ".join(topics) + "."]


def choices_rows(spec: Spec, tables: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """One row per choice concerning the given tables (default all): what the report shows."""
    return [
        {
            "id": c.id,
            "topic": c.topic,
            "scope": choice_scope(c),
            "paper": [{"lines": q.lines, "quote": q.quote} for q in c.paper],
            "ours": c.ours,
            "why": c.why,
        }
        for c in _choices_of(spec, tables)
    ]


def choices_table_markdown(rows: Sequence[dict[str, Any]]) -> str:
    """Rows of :func:`choices_rows` as a Markdown table."""
    lines = ["| choice | applies to | the paper | ours | why |", "|---|---|---|---|---|"]
    for r in rows:
        paper = "<br>".join(f"{q['lines']}: 「{q['quote']}」" for q in r["paper"])
        cells = [r["topic"], r["scope"], paper, r["ours"], r["why"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def choices_markdown(spec: Spec, tables: Iterable[int] | None = None) -> str:
    """The choices as a Markdown table under a level-3 heading (empty when there are none)."""
    rows = choices_rows(spec, tables)
    if not rows:
        return ""
    return f"### {CHOICES_TITLE}\n\n{CHOICES_INTRO}\n\n" + choices_table_markdown(rows)


def choices_latex(spec: Spec, tables: Iterable[int] | None = None) -> str:
    """The choices as a LaTeX description list (the quotes are Chinese: xelatex with xeCJK)."""
    rows = choices_rows(spec, tables)
    if not rows:
        return ""
    lines = [
        rf"\subsection*{{{CHOICES_TITLE}}}",
        latex_escape(CHOICES_INTRO),
        r"\begin{description}",
    ]
    for r in rows:
        paper = "; ".join(f"{q['lines']}: 「{q['quote']}」" for q in r["paper"])
        lines.append(
            rf"\item[{latex_escape(r['topic'])}] ({latex_escape(r['scope'])}) "
            rf"\emph{{Paper:}} {latex_escape(paper)} \emph{{Ours:}} {latex_escape(r['ours'])} "
            rf"\emph{{Why:}} {latex_escape(r['why'])}"
        )
    lines.append(r"\end{description}")
    return "\n".join(lines) + "\n"

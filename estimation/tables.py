"""Paper-style Tables 1–8, each of our cells beside the published one, as Markdown and LaTeX.

Derived from the canonical tidy tables (``estimates``, ``models``; the reported equation of each
column) and the published reference (:mod:`estimation.published`). Per column two sub-columns,
*ours* and *paper*; per term a coefficient row (stars: * p < 0.10, ** p < 0.05, *** p < 0.01) and a
statistic row in parentheses; then the diagnostic rows AR(1), AR(2), Sargan, Hansen (z or chi2 with
the p-value in brackets), Hausman, instruments / groups (rows empty in every column are left
out), Adj. R², observations. A cell the paper
leaves blank is empty; a fit we do not have is ``—``; a fit that failed says ``failed`` and its
reason is in the notes under the table, with every other warning (dropped rows, instruments vs
groups).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

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
    for c in table.columns:
        sample = c.sample_industry if len(regions) == 1 else c.sample_region
        head = f"{ESTIMATOR_LABELS[c.estimator]} {sample}"
        e = est[est["column_id"] == c.column_id].set_index("term")
        m = mod[mod["column_id"] == c.column_id]
        m = m.iloc[0] if len(m) else None
        p = pub[pub["column_id"] == c.column_id].set_index("term")
        failed = m is not None and m["status"] != "ok"
        ours, paper = [], []
        for t in terms:
            if t in e.index:
                r = e.loc[t]
                ours += [f"{r['coef']:.3f}{stars_text(r['stars'])}", f"({r['stat']:.2f})"]
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
            paper.append(_published_diagnostic(key, p))
        columns[(head, "ours")] = ours
        columns[(head, "paper")] = paper
        if m is not None:
            for w in m["warnings"] if m["warnings"] is not None else []:
                notes.append(f"{head}: {w}")
    grid = pd.DataFrame(columns, index=labels)
    grid.columns = pd.MultiIndex.from_tuples(list(columns))
    diagnostics = [label for key, label in DIAGNOSTIC_ROWS if key not in ("adj_r2", "nobs")]
    empty = [lab for lab in diagnostics if (grid.loc[lab] == "").all()]
    return grid.drop(index=empty), notes


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
    if key == "adj_r2":
        return _num(m["adj_r2"], ".3f")
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


def notes_text(stat_kinds: Iterable[str]) -> str:
    kinds = "/".join(sorted(set(stat_kinds))) or "z"
    return (
        f"Ours: coefficient with stars (* p < 0.10, ** p < 0.05, *** p < 0.01), {kinds} statistic "
        "in parentheses; tests as statistic (df) [p]. Paper: as printed."
    )


def to_markdown(grid: pd.DataFrame, title: str, notes: Sequence[str], legend: str) -> str:
    heads = [f"{h} ({side})" for h, side in grid.columns]
    lines = [f"### {title}", "", "| | " + " | ".join(heads) + " |"]
    lines.append("|---|" + "|".join("---:" for _ in heads) + "|")
    for label, row in grid.iterrows():
        cells = [str(v).replace("|", "\\|") for v in row]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", legend]
    lines += [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


_LATEX_ESCAPES = {"_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "×": r"$\times$", "→": r"$\to$"}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in str(text))


def to_latex(grid: pd.DataFrame, title: str, notes: Sequence[str], legend: str) -> str:
    heads = list(dict.fromkeys(h for h, _ in grid.columns))
    n = len(grid.columns)
    lines = [
        r"\begin{table}[htbp]\centering\scriptsize",
        rf"\caption{{{latex_escape(title)}}}",
        rf"\begin{{tabular}}{{l{'r' * n}}}",
        r"\hline",
        " & " + " & ".join(rf"\multicolumn{{2}}{{c}}{{{latex_escape(h)}}}" for h in heads) + r" \\",
        " & " + " & ".join("ours & paper" for _ in heads) + r" \\",
        r"\hline",
    ]
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
) -> str:
    """All (or the given) tables in one document, Markdown (``md``) or LaTeX (``tex``)."""
    if fmt not in ("md", "tex"):
        raise ValueError("fmt must be 'md' or 'tex'")
    spec = spec or load_spec()
    published = load_published()
    render = to_markdown if fmt == "md" else to_latex
    parts = []
    for number in tables or spec.table_numbers:
        grid, notes = table_grid(number, estimates, models, spec=spec, published=published)
        kinds = estimates.loc[estimates["table"] == number, "stat_kind"].dropna()
        title = f"Table {number}. {spec.table(number).title}"
        parts.append(render(grid, title, notes, notes_text(kinds)))
    return "\n".join(parts)


def write_tables(
    out_dir: str | Path,
    source: Any = None,
    *,
    formats: Sequence[str] = ("md", "tex"),
    spec: Spec | None = None,
) -> list[Path]:
    """Write ``tables.md`` / ``tables.tex`` under ``out_dir``.

    ``source``: a :class:`~estimation.run.RunResult`, a DuckDB connection (the latest run covering
    each table in ``results.*``), or None (the default warehouse). Tables without results still show
    the published values, with ``—`` for ours.
    """
    estimates, models = _results_from(source)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = out / f"tables.{fmt}"
        path.write_text(render_tables(estimates, models, fmt=fmt, spec=spec), encoding="utf-8")
        written.append(path)
    return written


def _results_from(source: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    from estimation.results_store import read_results
    from estimation.run import RunResult

    if isinstance(source, RunResult):
        return source.estimates, source.models
    if source is None:
        import duckdb

        from agglo import paths

        path = paths.warehouse_path()
        if not path.exists():
            return read_results(duckdb.connect())
        with duckdb.connect(str(path), read_only=True) as con:
            return read_results(con)
    return read_results(source)

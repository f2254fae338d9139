"""``agglo report``: a static HTML replication report built only from the warehouse.

Writes, under ``out`` (default ``reports/report/``)::

    index.html            the report (no network needed: figures are local PNG files)
    report.md             the same as Markdown
    assets/*.png          figures: panel coverage, Figures 1–5 (+ all high-tech), rankings
    tables/table_N.csv    Tables 1–8: ours, paper and agreement per column
    tables/table_N.tex    Tables 1–8 in the paper's layout (ours beside paper)

plus a "Knowledge production (real data)" section when the warehouse holds its estimates.

Modules: :mod:`.data` (queries), :mod:`.agreement` (sign / significance agreement, pure),
:mod:`.figures` (matplotlib), :mod:`.tables` (paper tables + agreement), :mod:`.knowledge` (the
real-data knowledge-production section), :mod:`.html` (template), :mod:`.markdown`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agglo import paths
from agglo.errors import AggloError


@dataclass
class ReportFiles:
    html: Path
    markdown: Path
    figures: list[Path]
    tables: list[Path]

    def summary(self) -> str:
        return (
            f"report: {self.html} ({len(self.figures)} figures, {len(self.tables)} table files; "
            f"Markdown: {self.markdown.name})"
        )


def default_out_dir() -> Path:
    return paths.repo_root() / "reports" / "report"


def build_report(
    warehouse: Path | None = None, out: Path | None = None, *, year: int | None = None
) -> ReportFiles:
    """Build the report from ``warehouse`` (default: the project's) into ``out``."""
    from agglo.report import data as data_mod
    from agglo.report import expected as expected_mod
    from agglo.report import figures, html, markdown
    from agglo.report import tables as tables_mod
    from agglo.report.agreement import agreement_frame, summarise
    from agglo.report.knowledge import knowledge_section
    from estimation.published import load_published
    from estimation.spec import load_spec

    warehouse = Path(warehouse or paths.warehouse_path()).resolve()
    out = Path(out or default_out_dir()).resolve()
    data = data_mod.load(warehouse)
    built_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if year is not None and year not in data.years:
        raise AggloError(
            f"no panel year {year} in {warehouse}",
            hint=f"choose one of {data.years[0]}–{data.years[-1]}" if data.years else None,
        )
    year = year or (data.years[-1] if data.years else None)

    for sub in ("assets", "tables"):  # leave no stale figures or tables of an earlier build
        shutil.rmtree(out / sub, ignore_errors=True)
    assets, table_dir = out / "assets", out / "tables"
    assets.mkdir(parents=True, exist_ok=True)

    industries = list(
        zip(data.industries["industry_code"], data.industries["name_en"], strict=True)
    )
    coverage = figures.coverage(data.panel, industries, data.provinces, assets)
    order = sorted(industries, key=lambda i: figures.PAPER_FIGURES.get(i[0], 99))
    figure_pairs = [
        {
            "industry": code,
            "scatter": figures.scatter(data.panel, code, name, assets),
            "bars": figures.bars(data.lq, data.innovation, code, name, year, assets),
        }
        for code, name in order
    ]

    spec = load_spec()
    published = load_published()
    agreements = agreement_frame(data.estimates, published)
    paper_tables = [
        tables_mod.build_table(n, data.estimates, data.models, published, agreements, spec)
        for n in spec.table_numbers
    ]
    table_files = [p for t in paper_tables for p in tables_mod.write_table_files(t, table_dir)]
    diagnostics = tables_mod.diagnostics_frame(data.models)
    reported = (
        data.models[data.models["reported"].astype(bool)] if len(data.models) else data.models
    )

    runs = data.runs.sort_values("finished_at") if len(data.runs) else data.runs
    context = {
        "warehouse": str(warehouse),
        "built_at": built_at,
        "simulated": data.simulated,
        "data_banner": data.data_banner,
        "n_files": data.loads["file_path"].nunique(),
        "n_loads": int(data.loads["n_years"].sum()),
        "dq_errors": int(data.loads["dq_errors"].sum()),
        "dq_warnings": int(data.loads["dq_warnings"].sum()),
        "n_fits": len(reported),
        "n_failed": int((reported["status"] != "ok").sum()) if len(reported) else 0,
        "summary": expected_mod.with_expected(
            summarise(agreements, spec.table_numbers),
            expected_mod.load() if data.simulated else None,
        ).to_dict("records"),
        "expected_command": expected_mod.COMMAND,
        "loads": data.loads.to_dict("records"),
        "failed_checks": data.failed_checks.to_dict("records"),
        "coverage": coverage,
        "year": year,
        "figures": figure_pairs,
        "tables": [
            {
                "number": t.number,
                "title": t.title,
                "heads": t.heads,
                "rows": tables_mod.html_rows(t),
                "legend": t.legend,
                "notes": t.notes,
                "summary": t.summary,
            }
            for t in paper_tables
        ],
        "choices": tables_mod.choices_rows(spec),
        "choices_intro": tables_mod.CHOICES_INTRO,
        "agreement_legend": tables_mod.AGREEMENT_LEGEND,
        "colour_legend": tables_mod.COLOUR_LEGEND,
        "diagnostics": diagnostics.to_dict("records"),
        "runs": runs.to_dict("records"),
        "current_spec_hash": spec.hash,
        "versions": data_mod.package_versions(runs),
        "knowledge": knowledge_section(
            data.knowledge_estimates, data.knowledge_models, data.knowledge_titles
        ),
    }
    index = out / "index.html"
    index.write_text(html.render_page(context), encoding="utf-8")
    md = out / "report.md"
    md.write_text(markdown.render(context, paper_tables, diagnostics), encoding="utf-8")
    figure_files = [out / coverage.file] + [
        out / f[k].file for f in figure_pairs for k in ("scatter", "bars")
    ]
    return ReportFiles(html=index, markdown=md, figures=figure_files, tables=table_files)


__all__ = ["ReportFiles", "build_report", "default_out_dir"]

"""``report.md``: the report's content as Markdown (tables via :mod:`agglo.report.tables`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from agglo.report.html import num, pct
from agglo.report.tables import AGREEMENT_LEGEND, PaperTable, choices_table_markdown, markdown


def _table(frame: pd.DataFrame) -> str:
    heads = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(heads) + " |", "|" + "|".join("---" for _ in heads) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


def render(ctx: dict[str, Any], tables: list[PaperTable], diagnostics: pd.DataFrame) -> str:
    out = ["# Replication report: high-tech agglomeration × regional innovation", ""]
    out.append(f"Warehouse `{ctx['warehouse']}`, built {ctx['built_at']}.")
    if ctx["simulated"]:
        out += [
            "",
            f"> **Simulated data.** {ctx['data_banner']} The simulation's true parameters are the "
            "paper's coefficients, so agreement is partial by design: the summary shows the "
            "agreement to expect beside the observed.",
        ]
    out += ["", "## Summary: agreement with the published tables", ""]
    summary = pd.DataFrame(ctx["summary"])
    summary["same sign"] = [
        f"{n} ({pct(s)})"
        for n, s in zip(summary["same_sign"], summary["share_same_sign"], strict=True)
    ]
    summary["same stars"] = [
        f"{n} ({pct(s)})"
        for n, s in zip(summary["same_stars"], summary["share_same_stars"], strict=True)
    ]
    columns = ["table", "compared", "same sign", "same stars", "not_estimated", "no_published"]
    draws = (
        int(summary["expected_draws"].iloc[0])
        if "expected_draws" in summary and len(summary)
        else 0
    )
    if draws:
        for share in ("same_sign", "same_stars"):
            name = f"{share.replace('_', ' ')} expected"
            summary[name] = [
                f"{pct(m)} ± {pct(sd)}"
                for m, sd in zip(summary[f"expected_{share}"], summary[f"sd_{share}"], strict=True)
            ]
            columns.insert(columns.index(share.replace("_", " ")) + 1, name)
    out.append(_table(summary[columns]))
    if draws:
        out += [
            "",
            "Expected (demo design): the share of coefficients whose sign / stars a correct "
            f"estimator reproduces, mean ± sd over {draws} simulated draws of the demo's model "
            "(truth: the paper's coefficients), scored like the observed columns; stored in "
            f"`raw/demo/_truth/expected_agreement.csv` by `{ctx['expected_command']}`.",
        ]
    out += ["", "## Specification choices", ""]
    out += [ctx["choices_intro"], "", choices_table_markdown(ctx["choices"])]
    out += [
        "",
        "## Data",
        "",
        f"{ctx['n_files']} files loaded ({ctx['n_loads']} table-years); "
        f"{ctx['dq_errors']} failed DQ error checks, {ctx['dq_warnings']} failed DQ warning "
        "checks.",
        "",
    ]
    loads = pd.DataFrame(ctx["loads"])
    if len(loads):
        loads = loads.assign(file_hash=loads["file_hash"].str[:12])
        out.append(
            _table(
                loads[
                    [
                        "table_id",
                        "first_year",
                        "last_year",
                        "file_path",
                        "file_hash",
                        "n_records",
                        "dq_errors",
                        "dq_warnings",
                    ]
                ]
            )
        )
    cov = ctx["coverage"]
    out += ["", f"![{cov.title}]({cov.file})", "", "## Figures 1–5", ""]
    for f in ctx["figures"]:
        for key in ("scatter", "bars"):
            out += [f"![{f[key].title}]({f[key].file})", "", f"*{f[key].caption}*", ""]
    for t in tables:
        out += ["## " + t.title, "", markdown(t).split("\n", 2)[2], ""]
    if ctx.get("knowledge"):
        out += _knowledge(ctx["knowledge"])
    out += ["## Diagnostics", ""]
    if len(diagnostics):
        d = diagnostics.copy()
        for test in ("ar2", "sargan", "hansen", "hausman"):
            d[f"{test} p"] = [
                num(p, ".3f") + (" ✗" if r else "")
                for p, r in zip(d[f"{test}_p"], d[f"{test}_rejects"], strict=True)
            ]
        d["instruments / groups"] = [
            (f"{num(i, 'd')} / {num(g, 'd')}" + (" ✗" if flag else "")) if num(i, "d") else ""
            for i, g, flag in zip(
                d["instruments"], d["groups"], d["too_many_instruments"], strict=True
            )
        ]
        out.append(
            _table(
                d[
                    [
                        "table",
                        "column",
                        "status",
                        "nobs",
                        "instruments / groups",
                        "ar2 p",
                        "sargan p",
                        "hansen p",
                        "hausman p",
                    ]
                ]
            )
        )
        out += ["", "✗: more instruments than groups, or the test rejects at p < 0.05.", ""]
    out += ["## Provenance", ""]
    for r in ctx["runs"]:
        out += [
            f"- run id `{r['run_id']}`, spec hash `{r['spec_hash']}`, data hash `{r['data_hash']}`"
        ]
    versions = ", ".join(f"{k} {v}" for k, v in ctx["versions"].items())
    out += [
        f"- package versions: {versions}",
        f"- report built {ctx['built_at']}",
        "",
        AGREEMENT_LEGEND,
        "",
    ]
    return "\n".join(out)


def _knowledge(section: dict[str, Any]) -> list[str]:
    """The "Knowledge production (real data)" section (see :mod:`agglo.report.knowledge`)."""
    out = [
        "## Knowledge production (real data)",
        "",
        "ln patents granted on ln R&D personnel and ln R&D expenditure, on "
        "`marts.fct_innovation_indicators` (real yearbook files); spec "
        "`estimation/specs/knowledge_production.yml`. Standard errors in parentheses; "
        "\\* p < 10%, \\*\\* p < 5%, \\*\\*\\* p < 1%.",
        "",
    ]
    for block in section["blocks"]:
        frame = pd.DataFrame(
            [[row["label"], *row["cells"]] for row in block["rows"]], columns=["", *block["heads"]]
        )
        out += [f"### {block['title']} (table {block['number']})", "", _table(frame), ""]
        out += [f"- {n}" for n in block["notes"]] + ([""] if block["notes"] else [])
    return out

"""Run a table's suites on a parsed file: records and reference frames in, a GateReport out.

Pure: no database, no file is read or written. What the gate needs from the warehouse (the
neighbouring years for the year-on-year check, another file already holding the table-year) is
read by the caller and passed in.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pandas as pd

from agglo.ingest.parsed import ParsedFile
from agglo.quality.frames import build_frames, build_totals
from agglo.quality.results import (
    CheckResult,
    GateReport,
    failure_report,
    jsonable,
    observed_text,
    offending_rows,
)
from agglo.quality.rules import expectations_dir
from agglo.quality.suite import gx_context, table_suites
from agglo.refdata import RefData
from agglo.refdata import refdata as default_refdata


def validate(
    parsed: ParsedFile,
    *,
    digest: str | None = None,
    neighbours: pd.DataFrame | None = None,
    conflict: str | None = None,
    rd: RefData | None = None,
) -> GateReport:
    """The gate's verdict on a parsed file.

    ``neighbours``: province values of the same table in the neighbouring years from other files
    (:data:`agglo.quality.frames.NEIGHBOUR_COLUMNS`), for the year-on-year check. ``conflict``: why
    another file already provides one of the file's table-years (a failed ``table_year_unique``).
    """
    started = time.perf_counter()
    rd = rd or default_refdata()
    table = parsed.table
    rules, _, suites = table_suites(table, str(expectations_dir()))
    records, groups, wide = build_frames(parsed, rules, rd, neighbours)
    _, _, _, batches = gx_context()
    frames = {
        "records": records,
        "groups": groups,
        "rows": wide,
        "totals": build_totals(records, rules, rd),
    }
    out: list[CheckResult] = []
    for name, suite in suites.items():
        if not len(suite.expectations):
            continue
        batch = batches[name].get_batch(batch_parameters={"dataframe": frames[name]})
        validation = batch.validate(
            suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": []}
        )
        for res in validation.results:
            cfg = res.expectation_config
            meta = cfg.meta or {}
            check = meta.get("check", cfg.type)
            label = f"{check}[{meta['indicator']}]" if meta.get("indicator") else check
            if meta.get("bound"):
                label = f"{check}.{meta['bound']}"
            raw = res.result or {}
            kwargs = cfg.kwargs
            index = list(raw.get("unexpected_index_list") or [])
            if check in ("plausible_range", "total_range") and not res.success:
                names = sorted({str(frames[name].loc[i, "indicator"]) for i in index})
                label = f"{label}[{','.join(names)}]" if names else label
            if res.exception_info and res.exception_info.get("raised_exception"):
                observed = (
                    f"expectation could not run: {res.exception_info.get('exception_message')}"
                )
                success = False
            else:
                observed, success = observed_text(raw), bool(res.success)
            out.append(
                CheckResult(
                    expectation=label,
                    severity=meta.get("severity", "error"),
                    success=success,
                    observed=observed,
                    description=meta.get("description", cfg.type),
                    rows=offending_rows(name, frames[name], index, check, kwargs)
                    if not success
                    else [],
                    config=jsonable(cfg.to_json_dict()),
                    result=jsonable(
                        {k: v for k, v in raw.items() if k not in {"unexpected_index_query"}}
                    ),
                )
            )
    if conflict:
        extra = failure_report(parsed.rel, digest, "table_year_unique", conflict, table.table_id)
        out.extend(extra.results)
    return GateReport(
        file=parsed.rel,
        file_hash=digest,
        table_id=table.table_id,
        data_years=parsed.data_years,
        results=out,
        validated_at=datetime.now(UTC).replace(tzinfo=None),
        seconds=time.perf_counter() - started,
        parse_warnings=parsed.warnings,
    )

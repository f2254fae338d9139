"""Run the gate's suites on the parsed files of a load: records and reference frames in, one
GateReport per file out.

All files are validated in one Great Expectations run: each frame is the files' frames stacked,
the file's number in the load a column (``file``), so every expectation is evaluated once per load
however many files and tables it holds. The outcome is then split by file: a file fails a check
when one of its own rows is unexpected, and its report names its rows only.

Pure: no database, no file is read or written. What the gate needs from the warehouse (the
neighbouring years for the year-on-year check, another file already holding the table-year) is
read by the caller and passed in.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
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
from agglo.quality.suite import (
    BY_KEY,
    EXPECTATIONS,
    FRAMES,
    Expectation,
    gate_suites,
    gx_context,
    table_suites,
)
from agglo.refdata import RefData
from agglo.refdata import refdata as default_refdata

PARTIAL = 20  # GE's length of the partial_unexpected lists


@dataclass
class GateInput:
    """A parsed file and what the gate compares it with.

    ``neighbours``: province values of the same table in the neighbouring years from other files
    (:data:`agglo.quality.frames.NEIGHBOUR_COLUMNS`), for the year-on-year check. ``conflict``: why
    another file already provides one of the file's table-years (a failed ``table_year_unique``).
    """

    parsed: ParsedFile
    digest: str | None = None
    neighbours: pd.DataFrame | None = None
    conflict: str | None = None


def validate(
    parsed: ParsedFile,
    *,
    digest: str | None = None,
    neighbours: pd.DataFrame | None = None,
    conflict: str | None = None,
    rd: RefData | None = None,
) -> GateReport:
    """The gate's verdict on one parsed file (:func:`validate_many` of one)."""
    return validate_many([GateInput(parsed, digest, neighbours, conflict)], rd=rd)[0]


def _stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty] or parts[:1]
    return pd.concat(parts, ignore_index=True)


def _first_rows(frame: pd.DataFrame) -> dict[int, int]:
    if "file" not in frame or frame.empty:
        return {}
    firsts = frame["file"].drop_duplicates()
    return {int(number): int(row) for row, number in firsts.items()}


def _values(frame: pd.DataFrame, e: Expectation, index: list) -> list:
    if not index:
        return []
    cols = e.columns
    if len(cols) == 1:
        return [_plain(v) for v in frame.loc[index, cols[0]]]
    return [[_plain(v) for v in row] for row in frame.loc[index, cols].itertuples(index=False)]


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _group_keys(frame: pd.DataFrame) -> list:
    """What a file's share of a frame is keyed by: the file, and in ``rows`` the pair as well."""
    files = frame["file"].tolist()
    return list(zip(files, frame["pair"].tolist(), strict=True)) if "pair" in frame else files


def _counts(e: Expectation, frame: pd.DataFrame, keys: list) -> tuple[Counter, Counter]:
    """(element_count, missing_count) of the expectation per file (per file and pair)."""
    domain = e.domain(frame).to_numpy()
    missing = e.missing(frame).to_numpy() & domain
    n = Counter(k for k, d in zip(keys, domain, strict=True) if d)
    m = Counter(k for k, d in zip(keys, missing, strict=True) if d)
    return n, m


def _file_result(
    e: Expectation, frame: pd.DataFrame, n: int, missing: int, index: list, first: int
) -> dict:
    """GE's COMPLETE result of the expectation, restricted to one file's rows; ``index`` holds
    rows of the stacked ``frame``, reported from the file's first row ``first`` on (so a file's
    result does not depend on which files were loaded with it)."""
    k, nonmissing = len(index), n - missing
    own = [i - first for i in index]
    values = _values(frame, e, index)
    counts = Counter(str(v) for v in values)
    shown: dict[str, object] = {}  # each distinct value as first met, for GE's counts list
    for v in values:
        shown.setdefault(str(v), v)
    return {
        "element_count": n,
        "unexpected_count": k,
        "unexpected_percent": 100 * k / nonmissing if nonmissing else None,
        "partial_unexpected_list": values[:PARTIAL],
        "unexpected_index_column_names": [],
        "missing_count": missing,
        "missing_percent": 100 * missing / n if n else None,
        "unexpected_percent_total": 100 * k / n if n else None,
        "unexpected_percent_nonmissing": 100 * k / nonmissing if nonmissing else None,
        "partial_unexpected_counts": [
            {"value": shown[v], "count": c} for v, c in counts.most_common(PARTIAL)
        ],
        "partial_unexpected_index_list": own[:PARTIAL],
        "unexpected_list": values,
        "unexpected_index_list": own,
    }


def validate_many(items: list[GateInput], rd: RefData | None = None) -> list[GateReport]:
    """The gate's verdicts on parsed files, one GE run for all of them (in the order given)."""
    if not items:
        return []
    started = time.perf_counter()
    rd = rd or default_refdata()
    plans, parts = [], {name: [] for name in FRAMES}
    for number, item in enumerate(items):
        rules, plan = table_suites(item.parsed.table, str(expectations_dir()))
        plans.append(plan)
        records, groups, pairs = build_frames(item.parsed, rules, rd, item.neighbours)
        records["row_key"] = f"{number}|" + records["row_key"]
        totals = build_totals(records, rules, rd)
        for name, frame in zip(FRAMES, (records, groups, pairs, totals), strict=True):
            parts[name].append(frame.assign(file=number))
    frames = {name: _stack(p) for name, p in parts.items()}
    _, _, _, batches = gx_context()
    keys = {name: _group_keys(f) for name, f in frames.items()}
    # each file's rows are contiguous in the stacked frames: file number -> its first row
    firsts = {name: _first_rows(f) for name, f in frames.items()}
    outcome = {}  # expectation key -> (config, {file key: unexpected rows}, counts, exception)
    for name, suite in gate_suites().items():
        batch = batches[name].get_batch(batch_parameters={"dataframe": frames[name]})
        validation = batch.validate(
            suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": []}
        )
        for res in validation.results:
            e = BY_KEY[res.expectation_config.meta["key"]]
            failed = res.exception_info and res.exception_info.get("raised_exception")
            error = res.exception_info.get("exception_message") if failed else None
            unexpected: dict = {}
            for i in (res.result or {}).get("unexpected_index_list") or []:
                unexpected.setdefault(keys[name][i], []).append(i)
            counts = _counts(e, frames[name], keys[name])
            # GE numbers each expectation of a run with a random id: meaningless once stored, and
            # it would make the same file's results differ between two loads
            config = {k: v for k, v in res.expectation_config.to_json_dict().items() if k != "id"}
            outcome[e.key] = (config, unexpected, counts, error)
    rank = {e.key: i for i, e in enumerate(EXPECTATIONS)}
    seconds = (time.perf_counter() - started) / len(items)
    reports = []
    for number, (item, plan) in enumerate(zip(items, plans, strict=True)):
        out: list[CheckResult] = []
        for p in sorted(plan, key=lambda p: rank[p.key]):
            e, frame = BY_KEY[p.key], frames[p.frame]
            config, unexpected, (n, m), error = outcome[p.key]
            key = (number, p.indicator) if p.indicator else number
            index = unexpected.get(key, [])
            result = _file_result(e, frame, n[key], m[key], index, firsts[p.frame].get(number, 0))
            label = p.label
            if p.check in ("plausible_range", "total_range") and index:
                names = sorted({str(frame.loc[i, "indicator"]) for i in index})
                label = f"{label}[{','.join(names)}]"
            if error is not None:
                observed, success = f"expectation could not run: {error}", False
            else:
                observed, success = observed_text(result), not index
            out.append(
                CheckResult(
                    expectation=label,
                    severity=p.severity,
                    success=success,
                    observed=observed,
                    description=p.description,
                    rows=offending_rows(p.frame, frame, index, p.check) if not success else [],
                    config=jsonable({**config, "meta": p.meta}),
                    result=jsonable(result),
                )
            )
        parsed = item.parsed
        if item.conflict:
            extra = failure_report(
                parsed.rel, item.digest, "table_year_unique", item.conflict, parsed.table.table_id
            )
            out.extend(extra.results)
        reports.append(
            GateReport(
                file=parsed.rel,
                file_hash=item.digest,
                table_id=parsed.table.table_id,
                data_years=parsed.data_years,
                results=out,
                validated_at=datetime.now(UTC).replace(tzinfo=None),
                seconds=seconds,
                parse_warnings=parsed.warnings,
            )
        )
    return reports

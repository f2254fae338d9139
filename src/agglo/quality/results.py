"""The gate's verdict on a file: one :class:`CheckResult` per check, gathered in a
:class:`GateReport` that names the file, the offending cells and what was expected."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

MAX_ROWS_SHOWN = 5
# checks that are not GE expectations: the file cannot be parsed, or another file has its years
CHECK_DESCRIPTIONS = {
    "file_parses": "the file is readable and fits a catalog table",
    "table_year_unique": "no other file provides the same table and year",
}


@dataclass
class CheckResult:
    """One expectation's outcome on one file (a row of ``raw.dq_results``)."""

    expectation: str  # check name, with the indicator for per-indicator checks
    severity: str
    success: bool
    observed: str
    description: str
    rows: list[dict] = field(default_factory=list)  # offending rows
    config: dict | None = None  # GE expectation configuration (for Data Docs)
    result: dict | None = None  # GE result dict

    def details(self) -> dict:
        return {
            "description": self.description,
            "rows": self.rows,
            "expectation_config": self.config,
            "result": self.result,
        }

    def lines(self) -> list[str]:
        """What went wrong, one line per offending row (at most MAX_ROWS_SHOWN)."""
        head = f"{self.severity} {self.expectation}: expected {self.description}; {self.observed}"
        out = [head]
        for row in self.rows[:MAX_ROWS_SHOWN]:
            out.append("    " + _describe_row(row))
        if len(self.rows) > MAX_ROWS_SHOWN:
            out.append(f"    … and {len(self.rows) - MAX_ROWS_SHOWN} more")
        return out


def _describe_row(row: dict) -> str:
    parts = []
    if row.get("source_cell") and row.get("source_row") is None:
        parts.append(f"cell {row['source_cell']}")
    elif row.get("source_cell"):
        sheet = f"sheet {row['source_sheet']!r} " if row.get("source_sheet") else ""
        parts.append(
            f"{sheet}row {row.get('source_row')}, column {row.get('source_col')} "
            f"(cell {row['source_cell']})"
        )
    elif row.get("source_row") is not None:
        sheet = f"sheet {row['source_sheet']!r} " if row.get("source_sheet") else ""
        parts.append(f"{sheet}row {row['source_row']}")
    for key in ("province", "indicator", "data_year"):
        if row.get(key) not in (None, ""):
            parts.append(f"{key} {row[key]}")
    for key, value in row.items():
        if key in {"source_cell", "source_sheet", "source_row", "source_col", "province"}:
            continue
        if key in {"indicator", "data_year"} or value in (None, ""):
            continue
        parts.append(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value:g}")
    return ", ".join(parts)


def warnings_text(warnings: list) -> str:
    """``1 warning``, ``3 warnings``."""
    return f"{len(warnings)} warning" + ("" if len(warnings) == 1 else "s")


@dataclass
class GateReport:
    """The gate's verdict on one file."""

    file: str
    file_hash: str | None
    table_id: str | None
    data_years: list[int]
    results: list[CheckResult]
    validated_at: datetime
    seconds: float = 0.0
    parse_warnings: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "error"]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def message(self, which: str = "errors", *, header: bool = True) -> str:
        """The failed checks, one per line under ``file: N check(s) failed`` (errors) or
        ``file: N warning(s)`` (a warning is not a failure: the file passes)."""
        failed = self.errors if which == "errors" else self.warnings
        head = f"{len(failed)} check(s) failed" if which == "errors" else warnings_text(failed)
        lines = [f"{self.file}: {head}"] if failed and header else []
        for r in failed:
            lines.extend("  " + line for line in r.lines())
        return "\n".join(lines)

    def failed_json(self) -> list[dict]:
        return [
            {
                "expectation": r.expectation,
                "expected": r.description,
                "observed": r.observed,
                "rows": r.rows,
            }
            for r in self.errors
        ]


def _num(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def offending_rows(
    frame_name: str, frame: pd.DataFrame, index: list, check: str, kwargs: dict
) -> list[dict]:
    rows = []
    for i in index:
        r = frame.loc[i]
        if frame_name == "records":
            row = {
                "source_sheet": r["source_sheet"],
                "source_row": _num(r["source_row"]),
                "source_col": r["source_col"],
                "source_cell": r["source_cell"],
                "province": r["name_raw"],
                "indicator": r["indicator"],
                "value": r["value_raw"],
                "unit": r["unit"],
            }
            if check == "plausible_range":
                row["value_base"] = _num(r["value_base"])
                row["bounds"] = f"[{r['range_min']:g}, {r['range_max']:g}]"
            if check == "year_on_year_jump":
                row["factor"] = round(float(r["yoy_factor"]), 2)
                row["neighbour"] = r["yoy_neighbour"]
        elif frame_name == "rows":
            row = {
                "source_sheet": r["source_sheet"],
                "source_row": _num(r["source_row"]),
                "province": r["name_raw"],
            }
            pair = [kwargs.get("column_B"), kwargs.get("column_A")]  # A <= B was checked as B >= A
            row.update({c: _num(r[c]) for c in pair if c in frame.columns})
        elif frame_name == "totals":
            rounding_only = check == "sums_within_printed_rounding"
            row = {
                "source_sheet": r["source_sheet"],
                "source_row": _num(r["source_row"]),
                "source_cell": r["total_cell"],
                "province": r["total"],
                "indicator": r["indicator"],
                "data_year": _num(r["data_year"]),
                "value": _num(r["printed_total"]),
                "province_sum": round(float(r["member_sum"]), 6),
                "gap": round(float(r["gap"]), 6),
                "allowed": round(float(r["rounding" if rounding_only else "allowed"]), 6),
                "belt_scheme": r["belt_scheme"],
            }
        else:
            row = {
                "source_cell": r["total_cell"] if check == "provinces_sum_to_total" else None,
                "indicator": r["indicator"],
                "data_year": _num(r["data_year"]),
            }
            if r["industry_code"] not in (None, "T") and not pd.isna(r["industry_code"]):
                row["industry"] = r["industry_code"]
            if check == "provinces_complete":
                row["n_provinces"] = _num(r["n_provinces"])
                row["missing"] = r["missing_provinces"]
            elif check == "provinces_sum_to_total":
                row["province"] = "全国 (national total)"
                row["value"] = _num(r["printed_total"])
                row["province_sum"] = round(float(r["province_sum"]), 6)
                row["unit"] = r["unit"]
            elif check == "total_range":
                row["total_base"] = _num(r["total_base"])
                row["bounds"] = f"[{r['total_min']:g}, {r['total_max']:g}]"
            else:
                row["file_name_year"] = _num(r["file_name_year"])
                row["title_year"] = _num(r["title_year"])
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def observed_text(res: dict) -> str:
    if "unexpected_count" in res:
        return f"{res['unexpected_count']} of {res.get('element_count', '?')} row(s) fail"
    if "observed_value" in res:
        return f"observed {res['observed_value']}"
    return ""


def jsonable(obj):
    return json.loads(json.dumps(obj, default=lambda o: _num(o) if _num(o) is not o else str(o)))


def failure_report(
    path: str, digest: str | None, check: str, message: str, table_id=None, years=None
) -> GateReport:
    """A file the gate could not get to (unreadable, no catalog table, layout) as a failed check."""
    return GateReport(
        file=path,
        file_hash=digest,
        table_id=table_id,
        data_years=list(years or []),
        results=[
            CheckResult(
                expectation=check,
                severity="error",
                success=False,
                observed=message,
                description=CHECK_DESCRIPTIONS.get(check, check),
            )
        ],
        validated_at=datetime.now(UTC).replace(tzinfo=None),
    )

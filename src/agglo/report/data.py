"""Everything the report shows, read from the warehouse (read-only) in one pass.

Sources: ``raw.load_log``, ``raw.dq_results``, ``marts.*`` and ``results.*`` (the latest run
covering each of Tables 1–8, as :func:`estimation.results_store.read_results` picks it; likewise
the knowledge-production table of ``estimation/specs/knowledge_production.yml``, when present).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from agglo.errors import AggloError
from agglo.warehouse import connect_read_only

DEMO_PREFIX = "raw/demo/"


@dataclass
class ReportData:
    warehouse: Path
    loads: pd.DataFrame  # one row per loaded file × table: years, rows, failed DQ checks
    panel: pd.DataFrame  # fct_estimation_panel (+ English province name)
    lq: pd.DataFrame  # fct_location_quotient (+ name_en, region)
    innovation: pd.DataFrame  # fct_innovation_ratio (+ name_en, region)
    provinces: pd.DataFrame  # dim_province
    industries: pd.DataFrame  # dim_industry, in display order
    estimates: pd.DataFrame  # results.estimates of the latest run per table
    models: pd.DataFrame  # results.models of the latest run per table
    runs: pd.DataFrame  # results.runs used by the tables
    failed_checks: pd.DataFrame = field(default_factory=pd.DataFrame)  # failed DQ expectations
    # results of the knowledge-production spec (real data; empty when the build skipped it)
    knowledge_estimates: pd.DataFrame = field(default_factory=pd.DataFrame)
    knowledge_models: pd.DataFrame = field(default_factory=pd.DataFrame)
    knowledge_titles: dict[int, str] = field(default_factory=dict)

    @property
    def simulated(self) -> bool:
        """True when any loaded file comes from ``raw/demo/`` (the simulated demo extracts)."""
        return any_demo_file(self.loads["file_path"])

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.panel["year"].unique())

    def industry_name(self, code: str) -> str:
        row = self.industries[self.industries["industry_code"] == code]
        return str(row["name_en"].iloc[0]) if len(row) else code


def any_demo_file(file_paths: pd.Series) -> bool:
    """True when any of the loaded files' paths lies under ``raw/demo/``."""
    paths = file_paths.astype(str).str.replace("\\", "/", regex=False)
    return bool(paths.str.startswith(DEMO_PREFIX).any() or paths.str.contains("/raw/demo/").any())


def holds_demo_data(con: Any) -> bool:
    """True when the warehouse ``con`` has loaded any simulated demo file (``agglo tables``)."""
    if not _has_table(con, "raw", "load_log"):
        return False
    return any_demo_file(con.sql("select distinct file_path from raw.load_log").df()["file_path"])


LOADS_SQL = """
with dq as (
    select file_path, file_hash, table_id,
        count(*) filter (where severity = 'error' and not success) as dq_errors,
        count(*) filter (where severity = 'warning' and not success) as dq_warnings,
        count(*) as dq_checks
    from raw.dq_results
    group by all
),
files as (
    select file_path, file_hash, table_id, min(data_year) as first_year,
        max(data_year) as last_year, count(*) as n_years, sum(n_records)::bigint as n_records,
        max(n_provinces) as n_provinces, max(loaded_at) as loaded_at
    from raw.load_log
    group by all
)
select files.*, coalesce(dq.dq_checks, 0) as dq_checks, coalesce(dq.dq_errors, 0) as dq_errors,
    coalesce(dq.dq_warnings, 0) as dq_warnings, dq.dq_checks is null as dq_missing
from files
left join dq using (file_path, file_hash, table_id)
order by files.table_id, files.first_year, files.file_path
"""

FAILED_CHECKS_SQL = """
select file_path, table_id, data_year, expectation, severity, observed
from raw.dq_results
where not success
order by severity, table_id, data_year, expectation
"""

NAMED = """
select f.*, p.name_en, p.region as province_region
from marts.{table} as f
join marts.dim_province as p using (province_code)
order by f.industry_code, f.year, f.province_code
"""


def _has_table(con: Any, schema: str, table: str) -> bool:
    rows = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return bool(rows[0][0])


def load(warehouse: Path) -> ReportData:
    """Read the report's inputs from ``warehouse``; a missing warehouse or mart is an AggloError."""
    from estimation.results_store import read_results
    from estimation.spec import KNOWLEDGE_PRODUCTION_SPEC, load_spec

    knowledge = load_spec(KNOWLEDGE_PRODUCTION_SPEC)

    if not warehouse.exists():
        raise AggloError(
            f"no warehouse at {warehouse}", hint="build it first (make build) or pass --warehouse"
        )
    with connect_read_only(warehouse) as con:
        for schema, table in [("raw", "load_log"), ("marts", "fct_estimation_panel")]:
            if not _has_table(con, schema, table):
                raise AggloError(
                    f"{schema}.{table} is missing from {warehouse}",
                    hint="run `make build` (load, dbt build and estimate) first",
                )
        has_dq = _has_table(con, "raw", "dq_results")
        if has_dq:
            loads = con.sql(LOADS_SQL).df()
            failed = con.sql(FAILED_CHECKS_SQL).df()
        else:
            loads = con.sql(
                "select *, 0 as dq_checks, 0 as dq_errors, 0 as dq_warnings, "
                "true as dq_missing from raw.load_log order by table_id, data_year"
            ).df()
            failed = pd.DataFrame(
                columns=[
                    "file_path",
                    "table_id",
                    "data_year",
                    "expectation",
                    "severity",
                    "observed",
                ]
            )
        estimates, models = read_results(con)
        kp_estimates, kp_models = read_results(con, list(knowledge.table_numbers))
        run_ids = sorted(set(models["run_id"])) if len(models) else []
        runs = (
            con.execute(
                "select * from results.runs where run_id in (select unnest(?))", [run_ids]
            ).df()
            if run_ids
            else pd.DataFrame(
                columns=[
                    "run_id",
                    "spec_hash",
                    "data_hash",
                    "package_versions",
                    "started_at",
                    "finished_at",
                ]
            )
        )
        data = ReportData(
            warehouse=warehouse,
            loads=loads,
            panel=con.sql(NAMED.format(table="fct_estimation_panel")).df(),
            lq=con.sql(NAMED.format(table="fct_location_quotient")).df(),
            innovation=con.sql(NAMED.format(table="fct_innovation_ratio")).df(),
            provinces=con.sql("select * from marts.dim_province order by province_code").df(),
            industries=con.sql("select * from marts.dim_industry order by sort_order").df(),
            estimates=estimates,
            models=models,
            runs=runs,
            failed_checks=failed,
            knowledge_estimates=kp_estimates,
            knowledge_models=kp_models,
            knowledge_titles={t.number: t.title for t in knowledge.tables},
        )
    return data


def package_versions(runs: pd.DataFrame) -> dict[str, str]:
    """The estimation run's recorded package versions, plus the report's own plotting stack."""
    import jinja2
    import matplotlib

    versions: dict[str, str] = {}
    for raw in runs.get("package_versions", []):
        versions.update(json.loads(raw) if isinstance(raw, str) else dict(raw))
    versions["matplotlib (report)"] = matplotlib.__version__
    versions["jinja2 (report)"] = jinja2.__version__
    return dict(sorted(versions.items()))

"""Great Expectations Data Docs of stored gate results (``make dq-docs``).

The results come in as rows of ``raw.dq_results`` (read by the caller from the warehouse); GE
renders one validation page per file into ``out_dir``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from agglo.quality.suite import gx_context

SITE = "dq_docs"


def build_data_docs(rows: Iterable[dict], out_dir: Path) -> Path:
    """Render ``raw.dq_results`` rows (column name → value) as GE Data Docs; the index page."""
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    _, _, context, _ = gx_context()
    out_dir = Path(out_dir).resolve()
    if SITE not in context.list_data_docs_sites():
        context.add_data_docs_site(
            SITE,
            {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(out_dir),
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "show_how_to_buttons": False,
                },
            },
        )
    by_file: dict[tuple, list[dict]] = {}
    for row in rows:
        key = (row["file_path"], row["file_hash"], row["table_id"])
        by_file.setdefault((*key, row["validated_at"], row["outcome"]), []).append(row)
    store = context.validation_results_store
    for (file, digest, table_id, validated_at, outcome), items in by_file.items():
        results = []
        for item in items:
            d = json.loads(item["details"]) if item["details"] else {}
            cfg = d.get("expectation_config") or {
                "type": "expect_table_row_count_to_be_between",
                "kwargs": {},
                "meta": {"check": item["expectation"], "description": d.get("description")},
            }
            cfg = {k: v for k, v in cfg.items() if k in {"type", "kwargs", "meta", "id"}}
            cfg.setdefault("meta", {})["severity"] = item["severity"]
            cfg["kwargs"] = {k: v for k, v in cfg["kwargs"].items() if k != "batch_id"}
            result = d.get("result") or {"observed_value": item["observed"]}
            results.append(
                ExpectationValidationResult(
                    success=bool(item["success"]),
                    expectation_config=ExpectationConfiguration(**cfg),
                    result=result,
                )
            )
        suite_name = f"{table_id or 'unrecognised'}"
        run_id = RunIdentifier(run_name=file, run_time=validated_at)
        vr = ExpectationSuiteValidationResult(
            success=all(
                r.success or r.expectation_config.meta.get("severity") == "warning" for r in results
            ),
            results=results,
            suite_name=suite_name,
            meta={
                "file": file,
                "file_hash": digest,
                "outcome": outcome,
                "run_id": run_id,
                "validation_time": validated_at.isoformat(),
                "active_batch_definition": {
                    "datasource_name": "yearbook_gate",
                    "data_asset_name": file,
                    "batch_identifiers": {"file_hash": digest},
                },
            },
        )
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
            run_id=RunIdentifier(run_name=file.replace("/", "__"), run_time=validated_at),
            batch_identifier=(digest or "nohash")[:16],
        )
        store.set(key, vr)
    context.build_data_docs(site_names=[SITE])
    return out_dir / "index.html"

"""Quality: the data-quality gate every yearbook file passes between parsing and publishing.

Pure: a parsed file (:class:`agglo.ingest.parsed.ParsedFile`) plus reference frames in, a
:class:`GateReport` out. It opens no database connection and writes nothing to the warehouse; the
pipeline reads what the gate needs from the warehouse and stores what it says
(:mod:`agglo.warehouse`). Great Expectations is the engine, the suites are data:

* :mod:`~agglo.quality.rules`: ``expectations/defaults.yml`` + catalog entry +
  ``expectations/<table_id>.yml`` → :class:`TableRules`;
* :mod:`~agglo.quality.suite`: the fixed GE suites (one per frame, every table) and, from the
  rules, which checks a table is judged by;
* :mod:`~agglo.quality.frames`: parsed records → the frames the suites validate;
* :mod:`~agglo.quality.validate`: run the suites once on all files of a load → a
  :class:`GateReport` per file;
* :mod:`~agglo.quality.results`: the report, its failure messages (file, cell, what was expected);
* :mod:`~agglo.quality.docs`: GE Data Docs of stored results.

``error`` checks block the load; ``warning`` checks are reported and recorded.
"""

from agglo.quality.docs import build_data_docs
from agglo.quality.results import CheckResult, GateReport, failure_report
from agglo.quality.rules import TableRules, expectations_dir, table_rules
from agglo.quality.suite import Planned, build_suite
from agglo.quality.validate import GateInput, validate, validate_many

__all__ = [
    "CheckResult",
    "GateInput",
    "GateReport",
    "Planned",
    "TableRules",
    "build_data_docs",
    "build_suite",
    "expectations_dir",
    "failure_report",
    "table_rules",
    "validate",
    "validate_many",
]

"""What a build reads, hashed: decides whether ``agglo build`` has anything to do.

A successful ``agglo build`` writes ``<warehouse>.build.json`` beside the warehouse: one SHA-256 per
group of inputs (:data:`GROUPS`) and the size and modification time of the warehouse file it
published. The next build hashes the inputs again; when no group changed and the warehouse file is
the one that build left (no ``agglo load``, ``unload`` or ``estimate`` wrote it since), there is
nothing to do: it says "up to date" and imports neither dbt nor Great Expectations (this module
imports only the standard library and :mod:`agglo.ingest.files`). Otherwise the changed groups say
what to redo (:class:`InputState`): a changed yearbook file is loaded alone (the loader skips files
whose content hash is stored), a changed dbt project or catalog rebuilds every dbt node, a change of
raw data alone rebuilds only what reads ``raw`` (:func:`agglo.build.dbt_selection`).

The groups are all a build's result depends on; anything outside them (README, reports, tests,
``raw/demo/_truth``) does not trigger a build.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from agglo import paths
from agglo.ingest.files import discover, display_path, file_hash

#: Input groups, in the order "up to date" lists them. ``code`` is the installed project itself
#: (an editable install: src/agglo and estimation/), ``packages`` every installed distribution's
#: version and the interpreter's, ``options`` the build's own arguments. Paths are those of the
#: checkout (``$AGGLO_HOME``), the code that of the packages as imported.
GROUPS = (
    "raw files",
    "catalog",
    "expectations",
    "dbt project",
    "specs",
    "code",
    "packages",
    "options",
)

# dbt's own output and per-user files inside dbt_project/ are not inputs.
_DBT_NOT_INPUTS = {"target", "logs", "dbt_packages", ".user.yml"}


def _digest(items: Iterable[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for name, value in items:
        h.update(f"{name}\0{value}\n".encode())
    return h.hexdigest()


def _tree(root: Path, suffixes: tuple[str, ...] | None = None, skip=frozenset()) -> str:
    """Hash of every file under ``root`` (relative path + content), optionally by suffix."""
    if not root.exists():
        return "absent"
    items = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in skip or "__pycache__" in rel.parts or not path.is_file():
            continue
        if suffixes is None or path.suffix in suffixes:
            items.append((rel.as_posix(), file_hash(path)))
    return _digest(items)


def _code() -> str:
    """The Python code a build runs: the agglo and estimation packages where they are imported
    from (found without importing estimation)."""
    from importlib.util import find_spec

    estimation = find_spec("estimation")
    roots = [("agglo", Path(__file__).parent)]
    if estimation is not None and estimation.origin:
        roots.append(("estimation", Path(estimation.origin).parent))
    return _digest((name, _tree(root, (".py",))) for name, root in roots)


def _packages() -> str:
    from importlib import metadata

    versions = sorted(
        (d.metadata["Name"] or "?", d.version or "?") for d in metadata.distributions()
    )
    return _digest([("python", sys.version), ("platform", platform.platform()), *versions])


def fingerprint(raw: Path | None = None, *, only_raw: bool = False, estimate: bool = True) -> dict:
    """One hash per group of :data:`GROUPS` for a build of ``raw`` (default raw/)."""
    root = paths.repo_root()
    raw = (raw or paths.raw_dir()).resolve()
    files = discover([raw]) if raw.is_dir() else []
    return {
        "raw files": _digest((display_path(p), file_hash(p)) for p in files),
        "catalog": _tree(paths.catalog_dir(), (".yml", ".yaml")),
        "expectations": _tree(root / "expectations"),
        "dbt project": _tree(root / "dbt_project", skip=_DBT_NOT_INPUTS),
        "specs": _tree(root / "estimation" / "specs"),
        "code": _code(),
        "packages": _packages(),
        "options": _digest(
            [("raw", str(raw)), ("only_raw", str(only_raw)), ("estimate", str(estimate))]
        ),
    }


def stamp_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".build.json")


def _warehouse_stat(warehouse: Path) -> list[int] | None:
    try:
        st = warehouse.stat()
    except FileNotFoundError:
        return None
    return [st.st_size, st.st_mtime_ns]


@dataclass
class InputState:
    """The inputs now, and which groups differ from the last successful build of the warehouse."""

    warehouse: Path
    inputs: dict
    changed: list[str] = field(default_factory=list)
    reason: str = ""  # why every group counts as changed: no earlier build, warehouse replaced
    incomplete: bool = False  # the last build rejected files or failed fits: try them again

    @property
    def up_to_date(self) -> bool:
        return not self.changed and not self.reason and not self.incomplete

    def summary(self) -> str:
        if self.up_to_date:
            return (
                f"up to date: nothing changed since the last build of {self.warehouse}\n"
                f"  checked: {', '.join(GROUPS)} (`agglo build --force` rebuilds anyway)"
            )
        what = self.reason or ", ".join(self.changed) or "nothing"
        again = "; the last build rejected files or had failed fits" if self.incomplete else ""
        return f"changed since the last build: {what}{again}"


def check(warehouse: Path, raw: Path | None = None, *, only_raw: bool = False,
          estimate: bool = True) -> InputState:  # fmt: skip
    """Compare the inputs with the stamp the last successful build of ``warehouse`` left."""
    state = InputState(warehouse, fingerprint(raw, only_raw=only_raw, estimate=estimate))
    try:
        stamp = json.loads(stamp_path(warehouse).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        stamp = None
    if stamp is None or _warehouse_stat(warehouse) is None:
        state.reason = "no earlier build of this warehouse"
        state.changed = list(GROUPS)
    elif stamp.get("warehouse") != _warehouse_stat(warehouse):
        state.reason = "the warehouse was written since (agglo load, unload or estimate)"
        state.changed = list(GROUPS)
    else:
        before = stamp.get("inputs", {})
        state.changed = [g for g in GROUPS if before.get(g) != state.inputs[g]]
        state.incomplete = not stamp.get("complete", False)
    return state


def write_stamp(state: InputState, *, complete: bool, extra: dict | None = None) -> None:
    """Record the inputs of a build that just published ``state.warehouse``; ``complete`` False
    (files rejected, fits failed) makes the next build try again. ``extra``: the build's stage
    timings and peak memory, read by ``make bench``."""
    doc = {
        "complete": complete,
        "inputs": state.inputs,
        "warehouse": _warehouse_stat(state.warehouse),
        **(extra or {}),
    }
    path = stamp_path(state.warehouse)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)

"""The dbt project's documentation, read from its yml files.

Every ``*.yml`` under the model and seed paths is read; any file's ``models:``, ``seeds:`` and
``sources:`` entries count, whatever the file is called. Each documented relation is placed in the
warehouse schema dbt builds it in: a model's ``config.schema``, else the ``+schema`` of its folder
in ``dbt_project.yml`` (the project's ``generate_schema_name`` uses it as is); a seed's the same
under ``seeds:``; a source's ``schema`` (default: its name). A model's table name is its ``alias``
if set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agglo import paths
from agglo.errors import AggloError

_REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"]\s*\)""")


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    description: str = ""
    accepted_values: tuple[str, ...] | None = None  # from an accepted_values test, in its order
    references: tuple[str, str] | None = None  # (ref name, field) of a relationships test


@dataclass(frozen=True)
class RelationDoc:
    kind: str  # model | seed | source
    name: str  # dbt name (model / seed / source table)
    schema: str | None  # warehouse schema, None when the project does not say
    relation: str  # table name in the warehouse
    description: str = ""
    columns: dict[str, ColumnDoc] = field(default_factory=dict)
    yml: str = ""  # the file it was read from, relative to the dbt project


@dataclass
class Docs:
    relations: list[RelationDoc]

    def lookup(self, schema: str, table: str) -> RelationDoc | None:
        """The documentation of ``schema.table`` (a relation of unknown schema matches any)."""
        exact = [r for r in self.relations if r.relation == table and r.schema == schema]
        loose = [r for r in self.relations if r.relation == table and r.schema is None]
        found = exact or loose
        return found[0] if found else None

    def by_name(self, name: str) -> list[RelationDoc]:
        """Relations with dbt name ``name`` (what ``ref('name')`` points to)."""
        return [r for r in self.relations if r.name == name]


def project_dir() -> Path:
    return paths.repo_root() / "dbt_project"


def _folder_schema(tree: Any, parts: tuple[str, ...]) -> str | None:
    """The ``+schema`` in effect for a folder of a ``models:``/``seeds:`` project config."""
    schema = None
    node = tree
    for part in ("", *parts):
        if part:
            if not isinstance(node, dict) or not isinstance(node.get(part), dict):
                break
            node = node[part]
        if isinstance(node, dict) and isinstance(node.get("+schema", node.get("schema")), str):
            schema = node.get("+schema", node.get("schema"))
    return schema


def _tests(column: dict[str, Any]) -> list[Any]:
    return list(column.get("data_tests") or []) + list(column.get("tests") or [])


def _column_doc(column: dict[str, Any]) -> ColumnDoc:
    accepted = references = None
    for test in _tests(column):
        if not isinstance(test, dict):
            continue
        for test_name, config in test.items():
            config = config or {}
            args = config.get("arguments", config) if isinstance(config, dict) else {}
            if test_name.endswith("accepted_values") and isinstance(args.get("values"), list):
                accepted = tuple(str(v) for v in args["values"])
            if test_name.endswith("relationships") and isinstance(args.get("to"), str):
                match = _REF.search(args["to"])
                if match and args.get("field"):
                    references = (match.group(1), str(args["field"]))
    return ColumnDoc(
        name=str(column["name"]),
        description=" ".join(str(column.get("description") or "").split()),
        accepted_values=accepted,
        references=references,
    )


def _columns(entry: dict[str, Any]) -> dict[str, ColumnDoc]:
    return {
        str(c["name"]): _column_doc(c)
        for c in entry.get("columns") or []
        if isinstance(c, dict) and c.get("name")
    }


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def load_docs(dbt_dir: Path | None = None) -> Docs:
    """Read every documented model, seed and source of the dbt project at ``dbt_dir``."""
    dbt_dir = Path(dbt_dir) if dbt_dir else project_dir()
    config_file = dbt_dir / "dbt_project.yml"
    if not config_file.is_file():
        raise AggloError(f"no dbt project at {dbt_dir} (dbt_project.yml missing)")
    config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    project = config.get("name")
    model_tree = (config.get("models") or {}).get(project, {})
    seed_tree = (config.get("seeds") or {}).get(project, {})
    trees = {"model": model_tree, "seed": seed_tree}
    roots = [*config.get("model-paths", ["models"]), *config.get("seed-paths", ["seeds"])]

    relations: list[RelationDoc] = []
    for root_name in dict.fromkeys(roots):
        root = dbt_dir / root_name
        for yml in sorted(root.rglob("*.yml")):
            try:
                content = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise AggloError(f"{yml}: not valid YAML ({exc})") from exc
            if not isinstance(content, dict):
                continue
            folder = yml.parent.relative_to(root).parts
            where = str(yml.relative_to(dbt_dir))
            for key, kind in (("models", "model"), ("seeds", "seed")):
                for entry in content.get(key) or []:
                    if not isinstance(entry, dict) or not entry.get("name"):
                        continue
                    cfg = entry.get("config") or {}
                    schema = cfg.get("schema") or _folder_schema(trees[kind], folder)
                    relations.append(
                        RelationDoc(
                            kind=kind,
                            name=entry["name"],
                            schema=schema,
                            relation=cfg.get("alias") or entry["name"],
                            description=_text(entry.get("description")),
                            columns=_columns(entry),
                            yml=where,
                        )
                    )
            for source in content.get("sources") or []:
                if not isinstance(source, dict) or not source.get("name"):
                    continue
                schema = source.get("schema") or source["name"]
                for entry in source.get("tables") or []:
                    if not isinstance(entry, dict) or not entry.get("name"):
                        continue
                    relations.append(
                        RelationDoc(
                            kind="source",
                            name=entry["name"],
                            schema=schema,
                            relation=entry.get("identifier") or entry["name"],
                            description=_text(entry.get("description")),
                            columns=_columns(entry),
                            yml=where,
                        )
                    )
    return Docs(relations)

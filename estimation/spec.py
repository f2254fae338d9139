"""Estimation specs: the paper's Tables 1–8 as data.

A spec file (``estimation/specs/paper.yml``) names the equations, the interactions, the estimators
with their settings and, per table, the groups of columns (estimator × industries × regions).
:func:`load_spec` reads it into frozen dataclasses, one :class:`Column` per fit, and refuses
anything it does not know (an unknown variable, estimator, table, industry or region) with a message
saying where in the file.

Column ids are generated as ``<estimator>_<industry>_<region>`` (``3sls_T1_national``,
``sys_gmm_T_east``); ``(table, column_id)`` identifies a fit everywhere (tidy estimates, model
table, ``results.spec_columns``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from estimation.choices import Choice, parse_choices
from estimation.errors import SpecError

SPECS_DIR = Path(__file__).resolve().parent / "specs"
DEFAULT_SPEC = SPECS_DIR / "paper.yml"
#: The knowledge-production function on the real-data mart (``marts.fct_innovation_indicators``).
KNOWLEDGE_PRODUCTION_SPEC = SPECS_DIR / "knowledge_production.yml"

ESTIMATORS = ("3sls", "fe", "sys_gmm")
INDUSTRIES = ("T", "T1", "T2", "T3", "T4", "T5")
REGIONS = ("national", "east", "central", "west")
LEVELS = ("vocal", "innov", "size", "pgdp", "open", "infr", "educ", "deve", "know", "tech", "dim")
LOGS = tuple(f"ln_{v}" for v in LEVELS)
LAGS = ("lag_ln_vocal", "lag_ln_innov")
#: Every column of ``marts.fct_estimation_panel`` a spec may use as a variable.
PANEL_VARIABLES = LEVELS + LOGS + LAGS
CONST = "const"
MISSING_POLICIES = ("drop", "error")
CENTRING_VARIABLES = ("none", "components", "regressors")
MODERATOR_SCALES = ("log", "level")
#: How a spec variable is formed from its panel column (``variables:`` in a spec file).
TRANSFORMS = ("identity", "log")
COV_TYPES = {
    "3sls": ("unadjusted", "robust", "kernel", "clustered"),
    "fe": ("unadjusted", "robust", "clustered", "kernel", "driscoll-kraay"),
    "sys_gmm": ("robust", "unadjusted"),
}


@dataclass(frozen=True)
class PanelSource:
    """The relation a spec's fits read and its key columns (``panel:`` in a spec file).

    ``industry``: the column selecting a group's industries, or None for a panel without one (then
    every column's ``sample_industry`` is ``all``). ``region``: the column regional samples select
    on (``national`` takes every row).
    """

    relation: str = "marts.fct_estimation_panel"
    entity: str = "province_code"
    time: str = "year"
    industry: str | None = "industry_code"
    region: str = "region"

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c for c in (self.entity, self.time, self.industry, self.region) if c)


@dataclass(frozen=True)
class Variable:
    """A spec variable: ``name`` as the model sees it, formed from the panel ``column``.

    ``transform``: ``identity`` (the column as is) or ``log`` (natural log; a row whose column is
    not positive is dropped and counted, like a missing value).
    """

    name: str
    column: str
    transform: str = "identity"


#: The paper's panel: every spec variable is a column of ``marts.fct_estimation_panel`` as is.
PAPER_VARIABLES = tuple(Variable(v, v) for v in PANEL_VARIABLES)


@dataclass(frozen=True)
class Interaction:
    """A product term ``variable × moderator``, formed from the centred components.

    ``moderator`` is a base name (``deve``); :meth:`moderator_column` gives the panel column it
    enters as (``ln_deve`` on the log scale, ``deve`` on the level scale).
    """

    name: str
    variable: str
    moderator: str

    def moderator_column(self, scale: str) -> str:
        return f"ln_{self.moderator}" if scale == "log" else self.moderator

    def components(self, scale: str) -> tuple[str, str]:
        return (self.variable, self.moderator_column(scale))


@dataclass(frozen=True)
class Equation:
    """One equation: ``label`` is the paper's name for it (``innovation`` / ``agglomeration``).

    ``regressors`` are in printed order (the constant is implicit and comes last); ``endogenous``
    lists the regressors instrumented by 3SLS and given GMM-style instruments by system GMM.
    """

    key: str
    label: str
    dependent: str
    regressors: tuple[str, ...]
    endogenous: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        """Regressors then the constant: the term order of the tidy table."""
        return (*self.regressors, CONST)

    def with_lag(self, lags: int) -> Equation:
        """The dynamic version: ``lag_<dependent>`` (one lag) first, as the paper prints it."""
        if lags == 0:
            return self
        if lags != 1:
            raise SpecError(f"equation {self.key}: only lags 0 or 1 are supported, not {lags}")
        lag = f"lag_{self.dependent}"
        return Equation(
            self.key, self.label, self.dependent, (lag, *self.regressors), self.endogenous
        )


@dataclass(frozen=True)
class Centring:
    """How variables are centred before interactions are formed.

    ``variables``: ``components`` centres the components of the column's interactions (so a main
    effect that is also a component, ``ln_innov`` in eq. 3, enters centred as well); ``regressors``
    centres every regressor; ``none`` centres nothing. ``scope: sample`` subtracts the mean over the
    rows the fit actually uses. ``moderator_scale``: the mechanism variable enters the product as
    its log (``log``) or level (``level``).
    """

    scope: str = "sample"
    variables: str = "components"
    moderator_scale: str = "log"


@dataclass(frozen=True)
class Covariance:
    """Covariance settings passed to linearmodels (``cov_type`` plus its options)."""

    type: str
    cluster_entity: bool = False
    debiased: bool | None = None

    def options(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.cluster_entity:
            out["cluster_entity"] = True
        if self.debiased is not None:
            out["debiased"] = self.debiased
        return out


@dataclass(frozen=True)
class GmmSettings:
    """System-GMM settings, resolved to variable names.

    ``gmm_instruments``: ``(variable, min_lag, max_lag)`` for the GMM-style instruments (the
    dependent and the endogenous regressors); every other regressor is an IV-style instrument.
    """

    lags: int
    gmm_instruments: tuple[tuple[str, int, int], ...]
    iv_instruments: tuple[str, ...]
    collapse: bool
    two_step: bool
    robust: bool
    time_dummies: bool
    constant: bool = True


@dataclass(frozen=True)
class Column:
    """One fit: a column of a paper table."""

    table: int
    column_id: str
    estimator: str
    sample_industry: str
    sample_region: str
    equations: tuple[Equation, ...]
    reported: str
    exogenous: tuple[str, ...] = ()
    cov: Covariance = Covariance("unadjusted")
    gmm: GmmSettings | None = None
    hausman: bool = False
    centring: Centring = Centring()
    missing: str = "drop"
    interactions: tuple[Interaction, ...] = ()
    time_effects: bool = False
    panel: PanelSource = PanelSource()
    variables: tuple[Variable, ...] = PAPER_VARIABLES

    def variable(self, name: str) -> Variable:
        """The spec variable ``name`` (an interaction's factors included)."""
        for v in self.variables:
            if v.name == name:
                return v
        raise SpecError(f"table {self.table}, column {self.column_id}: no variable {name!r}")

    @property
    def reported_equation(self) -> Equation:
        return next(eq for eq in self.equations if eq.label == self.reported)

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly description (what ``results.spec_columns`` stores)."""
        eq = self.reported_equation
        return {
            "table": self.table,
            "column_id": self.column_id,
            "estimator": self.estimator,
            "sample_industry": self.sample_industry,
            "sample_region": self.sample_region,
            "reported_equation": self.reported,
            "dependent": eq.dependent,
            "regressors": list(eq.terms),
            "equations": json.dumps(
                {
                    e.label: {
                        "dependent": e.dependent,
                        "regressors": list(e.terms),
                        "endogenous": list(e.endogenous),
                        "panel_relation": self.panel.relation,
                        "effects": self.effects,
                    }
                    for e in self.equations
                }
            ),
            "exogenous": list(self.exogenous),
            "interactions": json.dumps(
                {
                    i.name: list(i.components(self.centring.moderator_scale))
                    for i in self.interactions
                }
            ),
            "centring": json.dumps(vars(self.centring)),
            "missing": self.missing,
            "cov": json.dumps(vars(self.cov)),
            "gmm": json.dumps(None if self.gmm is None else _gmm_json(self.gmm)),
            "hausman": self.hausman,
        }

    @property
    def effects(self) -> str:
        """The effects the fit removes: entity (FE, GMM by differencing), time, or none (3SLS)."""
        if self.estimator == "3sls":
            return "none"
        time = self.time_effects or (self.gmm is not None and self.gmm.time_dummies)
        return "entity, time" if time else "entity"


def _gmm_json(g: GmmSettings) -> dict[str, Any]:
    out = dict(vars(g))
    out["gmm_instruments"] = {v: [lo, hi] for v, lo, hi in g.gmm_instruments}
    out["iv_instruments"] = list(g.iv_instruments)
    return out


@dataclass(frozen=True)
class Table:
    number: int
    title: str
    equation: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Spec:
    """A loaded spec: the tables and the hash of the file's content (comments, layout ignored).

    ``choices``: the reader's notes of ``choices:`` (:mod:`estimation.choices`), in file order.
    """

    tables: tuple[Table, ...]
    hash: str
    path: str | None = None
    panel: PanelSource = PanelSource()
    choices: tuple[Choice, ...] = ()

    def choices_for(self, column: Column) -> tuple[Choice, ...]:
        """The choices that concern one fit."""
        return tuple(c for c in self.choices if c.applies_to(column))

    @property
    def table_numbers(self) -> tuple[int, ...]:
        return tuple(t.number for t in self.tables)

    def table(self, number: int) -> Table:
        for t in self.tables:
            if t.number == number:
                return t
        known = ", ".join(str(n) for n in self.table_numbers)
        raise SpecError(f"unknown table {number!r}: the spec defines tables {known}")

    def columns(self, tables: Iterable[int] | None = None) -> list[Column]:
        """The columns of the given tables (all tables when None), in table then printed order."""
        numbers = self.table_numbers if tables is None else tuple(tables)
        return [c for n in numbers for c in self.table(int(n)).columns]

    def column(self, table: int, column_id: str) -> Column:
        for c in self.table(table).columns:
            if c.column_id == column_id:
                return c
        raise SpecError(f"table {table} has no column {column_id!r}")


# --------------------------------------------------------------------------------------- loading


def load_spec(path: str | Path | None = None) -> Spec:
    """Read and validate a spec file (default: ``estimation/specs/paper.yml``)."""
    path = Path(path) if path is not None else DEFAULT_SPEC
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SpecError(f"spec file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from exc
    return parse_spec(raw, path=str(path))


def spec_hash(raw: Mapping[str, Any]) -> str:
    """SHA-256 of the spec's content as canonical JSON (comments, order and layout do not count).

    ``choices`` does not count either: it explains the fits and changes none, so rewording a note
    leaves run ids and the report's "differs from the current spec" flag alone.
    """
    fitted = {k: v for k, v in raw.items() if k != "choices"}
    text = json.dumps(fitted, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_spec(raw: Any, *, path: str | None = None) -> Spec:
    """Validate a spec already read from YAML (a mapping) and build the :class:`Spec`."""
    where = path or "spec"
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: the spec must be a mapping with keys equations, tables, …")
    _known_keys(
        raw,
        {"spec_version", "panel", "variables", "equations", "interactions", "centring"}
        | {"missing", "estimators", "shared_settings", "tables", "choices"},
        where,
    )
    panel = _parse_panel(raw.get("panel"), f"{where}: panel")
    variables = _parse_variables(raw.get("variables"), panel, f"{where}: variables")
    names = tuple(v.name for v in variables)
    interactions = _parse_interactions(raw.get("interactions") or {}, names, where)
    equations = _parse_equations(_require(raw, "equations", where), interactions, names, where)
    centring = _parse_centring(raw.get("centring") or {}, f"{where}: centring")
    missing = _parse_missing(raw.get("missing", "drop"), f"{where}: missing")
    estimators = _require(raw, "estimators", where)
    if not isinstance(estimators, Mapping):
        raise SpecError(f"{where}: estimators must be a mapping of estimator → settings")
    for name in estimators:
        _check_estimator(name, f"{where}: estimators")

    tables_raw = _require(raw, "tables", where)
    if not isinstance(tables_raw, list) or not tables_raw:
        raise SpecError(f"{where}: tables must be a non-empty list")
    context = _Context(panel, variables, equations, interactions, estimators, centring, missing)
    tables = [_parse_table(t, f"{where}: tables[{i}]", context) for i, t in enumerate(tables_raw)]
    numbers = [t.number for t in tables]
    if len(set(numbers)) != len(numbers):
        raise SpecError(f"{where}: table numbers repeat: {numbers}")
    columns = [c for t in tables for c in t.columns]
    choices = parse_choices(
        raw.get("choices"),
        tables=numbers,
        estimators=sorted({c.estimator for c in columns}),
        industries=sorted({c.sample_industry for c in columns}),
        regions=sorted({c.sample_region for c in columns}),
        variables=(*names, *interactions),
        where=where,
    )
    return Spec(tables=tuple(tables), hash=spec_hash(raw), path=path, panel=panel, choices=choices)


@dataclass(frozen=True)
class _Context:
    """What every table of a spec shares (the spec-level keys, validated)."""

    panel: PanelSource
    variables: tuple[Variable, ...]
    equations: Mapping[str, Equation]
    interactions: Mapping[str, Interaction]
    estimators: Mapping[str, Any]
    centring: Centring
    missing: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)


def _parse_panel(raw: Any, where: str) -> PanelSource:
    """``panel: {relation, entity, time, industry, region}``; absent: the paper's panel."""
    if raw is None:
        return PanelSource()
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: expected a mapping with relation, entity, time")
    _known_keys(raw, {"relation", "entity", "time", "industry", "region"}, where)
    relation = _require(raw, "relation", where)
    if not isinstance(relation, str) or not re.fullmatch(r"[A-Za-z_]\w*\.[A-Za-z_]\w*", relation):
        raise SpecError(f"{where}.relation: expected schema.table, got {relation!r}")
    fields: dict[str, Any] = {"relation": relation}
    for key in ("entity", "time", "industry", "region"):
        if key in raw:
            value = raw[key]
            if not (isinstance(value, str) and value) and not (key == "industry" and value is None):
                raise SpecError(f"{where}.{key}: expected a column name, got {value!r}")
            fields[key] = value
    if "industry" not in raw and relation != PanelSource.relation:
        fields["industry"] = None  # another relation has an industry column only if it says so
    return PanelSource(**fields)


def _parse_variables(raw: Any, panel: PanelSource, where: str) -> tuple[Variable, ...]:
    """``variables: {name: {log: column} | {column: column}}``; absent: the paper's columns."""
    if raw is None:
        if panel.relation != PanelSource.relation:
            raise SpecError(
                f"{where}: missing; a spec on {panel.relation} names its variables, e.g. "
                "variables: {ln_y: {log: y}, x: {column: x}}"
            )
        return PAPER_VARIABLES
    if not isinstance(raw, Mapping) or not raw:
        raise SpecError(f"{where}: expected a non-empty mapping name → {{log: column}}")
    out = []
    for name, definition in raw.items():
        w = f"{where}.{name}"
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise SpecError(f"{w}: a variable name is a letter or _ then letters, digits, _")
        if name == CONST or name.startswith("lag_"):
            raise SpecError(f"{w}: {name!r} is reserved (the constant, lags of the dependent)")
        if not (isinstance(definition, Mapping) and len(definition) == 1):
            raise SpecError(f"{w}: expected one of {{log: column}} or {{column: column}}")
        ((kind, column),) = definition.items()
        transform = {"log": "log", "column": "identity"}.get(kind)
        if transform is None:
            raise SpecError(f"{w}: unknown transform {kind!r}; known: log, column")
        if not (isinstance(column, str) and column):
            raise SpecError(f"{w}.{kind}: expected a column of {panel.relation}, got {column!r}")
        if column in panel.keys:
            raise SpecError(f"{w}.{kind}: {column!r} is a key column of the panel")
        out.append(Variable(name, column, transform))
    return tuple(out)


def _require(raw: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise SpecError(f"{where}: missing key {key!r}")
    return raw[key]


def _known_keys(raw: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")


def _check_variable(
    name: Any, where: str, variables: Iterable[str], extra: Iterable[str] = ()
) -> str:
    variables = tuple(variables)
    allowed = set(variables) | set(extra)
    if not isinstance(name, str) or name not in allowed:
        raise SpecError(
            f"{where}: unknown variable {name!r}; a spec may use its variables "
            f"({', '.join(variables)}) and the interactions it defines"
        )
    return name


def _check_estimator(name: Any, where: str) -> str:
    if name not in ESTIMATORS:
        raise SpecError(f"{where}: unknown estimator {name!r}; known: {', '.join(ESTIMATORS)}")
    return name


def _parse_interactions(raw: Any, names: tuple[str, ...], where: str) -> dict[str, Interaction]:
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: interactions must map a name to [variable, moderator]")
    out = {}
    for name, parts in raw.items():
        w = f"{where}: interactions.{name}"
        if not (isinstance(parts, list) and len(parts) == 2):
            raise SpecError(f"{w}: expected [variable, moderator], got {parts!r}")
        variable = _check_variable(parts[0], w, names)
        moderator = parts[1]
        bases = [v for v in names if f"ln_{v}" in names]
        if not isinstance(moderator, str) or moderator not in bases:
            raise SpecError(
                f"{w}: unknown moderator {moderator!r}; give a base name ({', '.join(bases)}), "
                "the centring.moderator_scale setting picks its log or level"
            )
        if name in names:
            raise SpecError(f"{w}: an interaction may not reuse the variable name {name!r}")
        out[name] = Interaction(name, variable, moderator)
    return out


def _parse_equations(
    raw: Any, interactions: Mapping[str, Interaction], names: tuple[str, ...], where: str
) -> dict[str, Equation]:
    if not isinstance(raw, Mapping) or not raw:
        raise SpecError(f"{where}: equations must be a non-empty mapping")
    out = {}
    for key, e in raw.items():
        w = f"{where}: equations.{key}"
        if not isinstance(e, Mapping):
            raise SpecError(f"{w}: expected a mapping with dependent and regressors")
        _known_keys(e, {"label", "number", "dependent", "regressors", "endogenous"}, w)
        dependent = _check_variable(_require(e, "dependent", w), f"{w}.dependent", names)
        regressors = tuple(
            _check_variable(r, f"{w}.regressors", names, interactions)
            for r in _require(e, "regressors", w)
        )
        if len(set(regressors)) != len(regressors):
            dup = sorted({r for r in regressors if regressors.count(r) > 1})
            raise SpecError(f"{w}.regressors: regressor(s) listed twice: {dup}")
        if dependent in regressors:
            raise SpecError(f"{w}: the dependent {dependent!r} is also a regressor")
        endogenous = tuple(e.get("endogenous") or ())
        for v in endogenous:
            if v not in regressors:
                raise SpecError(f"{w}.endogenous: {v!r} is not one of the regressors")
        out[key] = Equation(str(key), str(e.get("label", key)), dependent, regressors, endogenous)
    return out


def _parse_centring(raw: Any, where: str) -> Centring:
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: expected a mapping")
    _known_keys(raw, {"scope", "variables", "moderator_scale"}, where)
    c = Centring(**raw)
    if c.scope != "sample":
        raise SpecError(f"{where}.scope: only 'sample' is supported, not {c.scope!r}")
    if c.variables not in CENTRING_VARIABLES:
        raise SpecError(f"{where}.variables: {c.variables!r} is not one of {CENTRING_VARIABLES}")
    if c.moderator_scale not in MODERATOR_SCALES:
        raise SpecError(
            f"{where}.moderator_scale: {c.moderator_scale!r} is not one of {MODERATOR_SCALES}"
        )
    return c


def _parse_missing(raw: Any, where: str) -> str:
    if raw not in MISSING_POLICIES:
        raise SpecError(f"{where}: {raw!r} is not one of {MISSING_POLICIES}")
    return raw


def _parse_cov(raw: Any, estimator: str, where: str) -> Covariance:
    if not isinstance(raw, Mapping) or "type" not in raw:
        raise SpecError(f"{where}: expected a mapping with a 'type'")
    _known_keys(raw, {"type", "cluster_entity", "debiased"}, where)
    cov = Covariance(**raw)
    if cov.type not in COV_TYPES[estimator]:
        raise SpecError(
            f"{where}.type: {cov.type!r} is not a covariance of {estimator}: {COV_TYPES[estimator]}"
        )
    return cov


_SETTINGS_KEYS = {
    "3sls": {"system", "exogenous", "cov"},
    "fe": {"cov", "hausman", "time_effects"},
    "sys_gmm": {"lags", "gmm_instruments", "collapse", "two_step", "robust", "time_dummies"}
    | {"constant"},
}


#: ``sample_industry`` of every column of a spec whose panel has no industry column.
ALL_INDUSTRIES = "all"


def _parse_table(raw: Any, where: str, ctx: _Context) -> Table:
    equations, estimators = ctx.equations, ctx.estimators
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: expected a mapping with table, title, equation, groups")
    _known_keys(raw, {"table", "title", "equation", "groups"}, where)
    number = _require(raw, "table", where)
    if not isinstance(number, int):
        raise SpecError(f"{where}.table: expected a table number, got {number!r}")
    where = f"{where} (table {number})"
    eq_key = _require(raw, "equation", where)
    if eq_key not in equations:
        raise SpecError(f"{where}.equation: unknown equation {eq_key!r}; known: {list(equations)}")
    equation = equations[eq_key]
    columns: list[Column] = []
    for g_i, group in enumerate(_require(raw, "groups", where)):
        w = f"{where}.groups[{g_i}]"
        if not isinstance(group, Mapping):
            raise SpecError(f"{w}: expected a mapping")
        _known_keys(
            group, {"estimator", "industries", "regions", "settings", "missing", "centring"}, w
        )
        estimator = _check_estimator(_require(group, "estimator", w), f"{w}.estimator")
        if estimator not in estimators:
            raise SpecError(f"{w}: estimator {estimator!r} has no settings under 'estimators'")
        settings = {**(estimators[estimator] or {}), **(group.get("settings") or {})}
        _known_keys(settings, _SETTINGS_KEYS[estimator], f"{w}: settings of {estimator}")
        g_missing = _parse_missing(group.get("missing", ctx.missing), f"{w}.missing")
        g_centring = (
            _parse_centring({**vars(ctx.centring), **group["centring"]}, f"{w}.centring")
            if "centring" in group
            else ctx.centring
        )
        industries = _industries(group, ctx.panel, w)
        regions = group.get("regions", ["national"])
        for reg in regions:
            if reg not in REGIONS:
                raise SpecError(f"{w}.regions: unknown region {reg!r}; known: {REGIONS}")
        for ind in industries:
            for reg in regions:
                columns.append(
                    _build_column(
                        number,
                        estimator,
                        ind,
                        reg,
                        equation,
                        settings,
                        g_centring,
                        g_missing,
                        w,
                        ctx,
                    )
                )
    ids = [c.column_id for c in columns]
    if len(set(ids)) != len(ids):
        raise SpecError(f"{where}: columns repeat: {ids}")
    return Table(number, str(raw.get("title", "")), equation.label, tuple(columns))


def _industries(group: Mapping[str, Any], panel: PanelSource, where: str) -> list[str]:
    """The group's industries: the paper's codes, or ``all`` for a panel without industries."""
    if panel.industry is None:
        if "industries" in group:
            raise SpecError(
                f"{where}.industries: {panel.relation} has no industry column (panel.industry); "
                "remove the key"
            )
        return [ALL_INDUSTRIES]
    industries = group.get("industries", ["T"])
    if not isinstance(industries, list) or not industries:
        raise SpecError(f"{where}.industries: expected a non-empty list")
    if panel.relation == PanelSource.relation:
        for ind in industries:
            if ind not in INDUSTRIES:
                raise SpecError(
                    f"{where}.industries: unknown industry {ind!r}; known: {INDUSTRIES}"
                )
    return [str(i) for i in industries]


def _build_column(
    table: int,
    estimator: str,
    industry: str,
    region: str,
    equation: Equation,
    settings: Mapping[str, Any],
    centring: Centring,
    missing: str,
    where: str,
    ctx: _Context,
) -> Column:
    equations, interactions = ctx.equations, ctx.interactions
    common: dict[str, Any] = {
        "table": table,
        "column_id": f"{estimator}_{industry}_{region}",
        "estimator": estimator,
        "sample_industry": industry,
        "sample_region": region,
        "reported": equation.label,
        "centring": centring,
        "missing": missing,
        "panel": ctx.panel,
        "variables": ctx.variables,
    }
    if estimator == "3sls":
        keys = settings.get("system") or []
        unknown = [k for k in keys if k not in equations]
        if unknown:
            raise SpecError(f"{where}: settings.system names unknown equation(s) {unknown}")
        system = tuple(equations[k] for k in keys)
        if equation.label not in {e.label for e in system}:
            raise SpecError(f"{where}: the table's equation {equation.key!r} is not in the system")
        if len({e.label for e in system}) != len(system):
            raise SpecError(f"{where}: two equations of the system share a label")
        exogenous = tuple(
            _check_variable(v, f"{where}: settings.exogenous", ctx.names)
            for v in settings["exogenous"]
        )
        dependents = {e.dependent for e in system}
        for e in system:
            for r in e.regressors:
                if r not in exogenous and r not in dependents:
                    raise SpecError(
                        f"{where}: regressor {r!r} of equation {e.key!r} is neither exogenous "
                        "(settings.exogenous) nor a dependent of the system"
                    )
        used = _used_interactions(system, interactions)
        return Column(
            **common,
            equations=system,
            exogenous=exogenous,
            cov=_parse_cov(settings.get("cov", {"type": "unadjusted"}), "3sls", f"{where}.cov"),
            interactions=used,
        )
    if estimator == "fe":
        time_effects = _flag(settings, "time_effects", False, where)
        hausman = _flag(settings, "hausman", False, where)
        if hausman and time_effects:
            raise SpecError(
                f"{where}: settings.hausman compares entity-effects FE with RE; it is not "
                "defined with time_effects: true (set one of them to false)"
            )
        return Column(
            **common,
            equations=(equation,),
            cov=_parse_cov(settings.get("cov", {"type": "unadjusted"}), "fe", f"{where}.cov"),
            hausman=hausman,
            time_effects=time_effects,
            interactions=_used_interactions((equation,), interactions),
        )
    # sys_gmm
    lags = int(settings.get("lags", 1))
    dynamic = equation.with_lag(lags)
    inst = settings.get("gmm_instruments") or {}
    _known_keys(inst, {"dependent", "endogenous"}, f"{where}: settings.gmm_instruments")
    gmm_vars: list[tuple[str, int, int]] = []
    for role, names in (("dependent", [equation.dependent]), ("endogenous", equation.endogenous)):
        if role not in inst:
            continue
        lo, hi = _lag_range(inst[role], f"{where}: settings.gmm_instruments.{role}")
        gmm_vars += [(n, lo, hi) for n in names]
    gmm_names = {v for v, _, _ in gmm_vars}
    lag_terms = {f"lag_{equation.dependent}"}
    iv = tuple(r for r in dynamic.regressors if r not in gmm_names and r not in lag_terms)
    gmm = GmmSettings(
        lags=lags,
        gmm_instruments=tuple(gmm_vars),
        iv_instruments=iv,
        collapse=bool(settings.get("collapse", False)),
        two_step=bool(settings.get("two_step", True)),
        robust=bool(settings.get("robust", True)),
        time_dummies=bool(settings.get("time_dummies", False)),
        constant=bool(settings.get("constant", True)),
    )
    return Column(
        **common,
        equations=(dynamic,),
        cov=Covariance("robust" if gmm.robust else "unadjusted"),
        gmm=gmm,
        interactions=_used_interactions((equation,), interactions),
    )


def _flag(settings: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = settings.get(key, default)
    if not isinstance(value, bool):
        raise SpecError(f"{where}: settings.{key}: expected true or false, got {value!r}")
    return value


def _lag_range(raw: Any, where: str) -> tuple[int, int]:
    ok = isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, int) for x in raw)
    if not ok or not 1 <= raw[0] <= raw[1]:
        raise SpecError(f"{where}: expected [min_lag, max_lag] with 1 <= min <= max, got {raw!r}")
    return raw[0], raw[1]


def _used_interactions(
    equations: Iterable[Equation], interactions: Mapping[str, Interaction]
) -> tuple[Interaction, ...]:
    names = [r for e in equations for r in e.regressors if r in interactions]
    return tuple(interactions[n] for n in dict.fromkeys(names))

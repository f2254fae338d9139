"""Estimation samples: select panel rows, drop (and report) missing values, centre, interact.

:func:`build_sample` turns the panel the spec names (``panel.relation``; the paper's
``marts.fct_estimation_panel`` has one row per province × year × industry) and a spec
:class:`~estimation.spec.Column` into the frame one fit uses, indexed by (entity, time), e.g.
``(province_code, year)``. Variables are formed from their panel columns (``log`` of a column,
or the column as is). Rows missing any used variable, or whose logged column is not positive, are
dropped and counted — the count, the variables and the mart's ``null_reason`` go into
:attr:`Sample.warnings` — or refused when the spec says ``missing: error``. Panels may be unbalanced
and have gaps (years missing for some provinces). Centring happens after the drop, so the means are
over the rows actually used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from estimation.errors import EstimationError
from estimation.spec import ALL_INDUSTRIES, CONST, Column, PanelSource

_PAPER = PanelSource()
ENTITY = _PAPER.entity
TIME = _PAPER.time
INDUSTRY = _PAPER.industry
REGION = _PAPER.region


class SampleError(EstimationError):
    """No sample: no rows, duplicate keys, or missing values under ``missing: error``."""


class SingularDesignError(EstimationError):
    """A regressor is a linear combination of the others (or of the fixed effects)."""


@dataclass(frozen=True)
class Sample:
    """The rows one fit uses.

    ``data`` is indexed by ``(province_code, year)`` and holds the dependent(s), the regressors as
    they enter the model (centred where the spec says, interactions formed) and ``const``.
    """

    data: pd.DataFrame
    n_selected: int
    n_dropped: int
    missing_by_variable: Mapping[str, int] = field(default_factory=dict)
    nonpositive_by_variable: Mapping[str, int] = field(default_factory=dict)
    means: Mapping[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    data_hash: str = ""

    @property
    def nobs(self) -> int:
        return len(self.data)

    @property
    def n_groups(self) -> int:
        return self.data.index.get_level_values(0).nunique()


def panel_variables(column: Column) -> list[str]:
    """The panel columns a fit needs, in a stable order (interactions resolved to their factors).

    Lags of the dependent (``lag_ln_innov``) are built by the GMM estimator itself from the
    dependent, so system-GMM columns do not take them from the panel; a static model that lists one
    uses the mart's ``lag_ln_vocal`` / ``lag_ln_innov`` column.
    """
    scale = column.centring.moderator_scale
    by_name = {i.name: i for i in column.interactions}
    out: list[str] = []
    for eq in column.equations:
        out.append(eq.dependent)
        for r in eq.regressors:
            if r in by_name:
                out.extend(by_name[r].components(scale))
            elif r.startswith("lag_") and column.estimator == "sys_gmm":
                continue
            else:
                out.append(r)
    out.extend(column.exogenous)
    return list(dict.fromkeys(out))


def select_rows(
    panel: pd.DataFrame, industry: str, region: str, source: PanelSource = _PAPER
) -> pd.DataFrame:
    """Rows of one industry and region (``national``: all provinces), key columns checked.

    A panel without an industry column (``source.industry`` None) takes industry ``all``.
    """
    frame = panel.reset_index() if source.entity not in panel.columns else panel
    needed = [source.entity, source.time, source.industry]
    needed += [source.region] if region != "national" else []
    missing = [c for c in needed if c and c not in frame.columns]
    if missing:
        raise SampleError(f"{source.relation} has no column(s) {', '.join(missing)}")
    rows = frame
    if source.industry is not None:
        rows = rows[rows[source.industry] == industry]
    elif industry != ALL_INDUSTRIES:
        raise SampleError(f"{source.relation} has no industry column to select {industry!r} by")
    if region != "national":
        rows = rows[rows[source.region] == region]
    if rows.empty:
        raise SampleError(
            f"{source.relation} has no rows for industry {industry!r}, region {region!r}"
        )
    dup = rows.duplicated([source.entity, source.time])
    if dup.any():
        first = ", ".join(map(str, rows.loc[dup, [source.entity, source.time]].iloc[0]))
        raise SampleError(
            f"{source.relation}, industry {industry!r}, region {region!r}: {int(dup.sum())} "
            f"duplicate ({source.entity}, {source.time}) rows, e.g. ({first})"
        )
    return rows


def build_sample(panel: pd.DataFrame, column: Column) -> Sample:
    """The estimation sample of one spec column (see the module docstring)."""
    where = f"table {column.table}, column {column.column_id}"
    source = column.panel
    rows = select_rows(panel, column.sample_industry, column.sample_region, source)
    needed = panel_variables(column)
    variables = [column.variable(v) for v in needed]
    sources = list(dict.fromkeys(v.column for v in variables))
    absent = [c for c in sources if c not in rows.columns]
    if absent:
        raise SampleError(f"{where}: {source.relation} has no column(s) {', '.join(absent)}")

    frame = rows.set_index([source.entity, source.time]).sort_index()
    raw = frame[sources].apply(pd.to_numeric, errors="coerce").astype(float)
    text = raw.isna() & frame[sources].notna()
    if text.any().any():
        bad = ", ".join(f"{v} ({int(n)} row(s))" for v, n in text.sum().items() if n)
        raise SampleError(f"{where}: non-numeric values in {bad}")
    raw = raw.where(np.isfinite(raw))
    values = pd.DataFrame(index=raw.index)
    nonpositive_by: dict[str, int] = {}
    for v in variables:
        col = raw[v.column]
        if v.transform == "log":
            nonpositive = col.notna() & (col <= 0)
            if nonpositive.any():
                nonpositive_by[v.name] = int(nonpositive.sum())
            col = np.log(col.where(~nonpositive))
        values[v.name] = col
    bad = values.isna()
    missing_by = {v: int(n) for v, n in bad.sum().items() if n}
    drop = bad.any(axis=1)
    warnings: list[str] = []
    if drop.any():
        detail = ", ".join(
            f"{v}: {n}" + (f" ({nonpositive_by[v]} not positive)" if v in nonpositive_by else "")
            for v, n in missing_by.items()
        )
        reasons = ""
        if "null_reason" in frame.columns:
            counts = frame.loc[drop, "null_reason"].fillna("not given").value_counts()
            reasons = "; null_reason: " + ", ".join(f"{k} ({v})" for k, v in counts.items())
        message = (
            f"dropped {int(drop.sum())} of {len(values)} rows with missing"
            f"{' or non-positive' if nonpositive_by else ''} values "
            f"({detail}{reasons})"
        )
        if column.missing == "error":
            raise SampleError(f"{where}: {message}; the spec says missing: error")
        warnings.append(message)
    used = values[~drop]
    if used.empty:
        raise SampleError(f"{where}: no rows left after dropping missing values")

    data_hash = frame_hash(used)
    data, means = _centre_and_interact(used, column)
    data[CONST] = 1.0
    return Sample(
        data=data,
        n_selected=len(values),
        n_dropped=int(drop.sum()),
        missing_by_variable=missing_by,
        nonpositive_by_variable=nonpositive_by,
        means=means,
        warnings=tuple(warnings),
        data_hash=data_hash,
    )


def _centre_and_interact(used: pd.DataFrame, column: Column) -> tuple[pd.DataFrame, dict]:
    scale = column.centring.moderator_scale
    centre: list[str] = []
    if column.centring.variables == "components":
        centre = [c for i in column.interactions for c in i.components(scale)]
    elif column.centring.variables == "regressors":
        dependents = {eq.dependent for eq in column.equations}
        centre = [v for v in used.columns if v not in dependents]
    centre = list(dict.fromkeys(centre))
    means = {v: float(used[v].mean()) for v in centre}
    data = used.copy()
    for v, m in means.items():
        data[v] = data[v] - m
    for i in column.interactions:
        a, b = i.components(scale)
        data[i.name] = data[a] * data[b]
    return data, means


def frame_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's index and values (row order as given)."""
    h = hashlib.sha256()
    h.update(",".join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()


def check_full_rank(
    design: pd.DataFrame,
    where: str,
    *,
    absorbed: str = "",
    original: pd.DataFrame | None = None,
) -> None:
    """Raise :class:`SingularDesignError` naming the first column that adds no rank.

    Columns are taken in order; a column that is (numerically) a copy of an earlier one, or a linear
    combination of earlier ones, is named with its culprits. ``absorbed`` explains what the design
    was transformed by (e.g. "after removing province means"), for the message, and ``original`` is
    the design before that transformation (its scale decides what counts as zero).
    """
    x = design.to_numpy(dtype=float)
    names = list(design.columns)
    if not np.isfinite(x).all():
        bad = [n for n, ok in zip(names, np.isfinite(x).all(axis=0), strict=True) if not ok]
        raise SingularDesignError(f"{where}: non-finite values in {', '.join(bad)}")
    reference = x if original is None else original[names].to_numpy(dtype=float)
    scale = np.maximum(np.abs(reference).max(axis=0), 1e-300)
    xs = x / scale
    for j, name in enumerate(names):
        col = xs[:, j]
        if np.abs(col).max() < 1e-12:
            raise SingularDesignError(f"{where}: regressor {name!r} is all zero{absorbed}")
        for k in range(j):
            if np.allclose(col, xs[:, k], rtol=1e-10, atol=1e-12):
                raise SingularDesignError(
                    f"{where}: regressor {name!r} duplicates {names[k]!r}{absorbed}"
                )
        if j and np.linalg.matrix_rank(xs[:, : j + 1]) <= j:
            earlier = xs[:, :j]
            coef, *_ = np.linalg.lstsq(earlier, col, rcond=None)
            culprits = [names[k] for k in np.flatnonzero(np.abs(coef) > 1e-8)]
            raise SingularDesignError(
                f"{where}: regressor {name!r} is a linear combination of {', '.join(culprits)}"
                f"{absorbed}; "
                "drop one of them from the spec"
            )

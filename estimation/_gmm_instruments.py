"""Panel layout, instrument matrices and one-step weights for dynamic-panel GMM (internal).

Everything here works on a dense ``(N entities × T periods)`` grid of each used variable (``NaN``
where an entity has no observation or a lag falls before the start) and on the *stacked* rows of the
estimation: first every observation of the first-differenced equation, then (system GMM) every
observation of the level equation. Matrices with one row per stacked observation (instruments
``Z``, the one-step weighting kernel ``H``, the entity-summing operator ``P``) are
``scipy.sparse`` matrices, so nothing of size ``n_rows × n_rows`` is ever held densely.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = [
    "GmmSpec",
    "IvSpec",
    "PanelGrid",
    "StackedRows",
    "build_instruments",
    "entity_sum_operator",
    "one_step_kernel",
    "shift",
    "to_grid",
]


# ----------------------------------------------------------------------------------------------
# Panel grid
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PanelGrid:
    """Dense ``(N, T)`` arrays of the used variables on the full period grid.

    ``positions[i, t]`` is the row of the source frame at entity ``i``, period ``t`` (``-1`` where
    the frame has none), so results can carry the frame's own index.
    """

    entities: pd.Index
    period_labels: list[Hashable]
    arrays: dict[str, np.ndarray]
    positions: np.ndarray

    @property
    def n_entities(self) -> int:
        return len(self.entities)

    @property
    def n_periods(self) -> int:
        return len(self.period_labels)


def _period_codes(times: pd.Index) -> tuple[np.ndarray, list[Hashable]]:
    """Integer period codes (consecutive periods differ by one) and a label per grid position."""
    if isinstance(times, pd.PeriodIndex):
        ords = times.asi8.astype(np.int64)
        lo, hi = int(ords.min()), int(ords.max())
        labels = list(pd.period_range(times.min(), times.max(), freq=times.freq))
        return ords - lo, labels if len(labels) == hi - lo + 1 else list(range(lo, hi + 1))
    if isinstance(times, pd.DatetimeIndex):
        # the coarsest calendar frequency at which the distinct dates are distinct periods
        uniq = times.unique()
        for alias in ("Y", "Q", "M", "W", "D"):
            ords = np.unique(uniq.to_period(alias).asi8)
            if len(ords) == len(uniq):
                break
        steps = np.diff(ords)
        if len(steps) and steps.min() > 1:
            raise ValueError(
                f"The datetime time level is spaced {steps.min()} periods of frequency {alias!r} "
                "apart; use integer periods (e.g. years) so that lags are well defined."
            )
        return _period_codes(pd.PeriodIndex(times.to_period(alias)))
    values = np.asarray(times)
    if values.dtype.kind in "iu" or (
        values.dtype.kind == "f"
        and np.all(np.isfinite(values))
        and np.all(values == np.round(values))
    ):
        ints = values.astype(np.int64)
    else:
        raise ValueError(
            "The time level of the index must hold integer periods (e.g. years), a PeriodIndex "
            f"or regular datetimes; got dtype {values.dtype}."
        )
    lo, hi = int(ints.min()), int(ints.max())
    if hi - lo > 10_000:
        raise ValueError(
            f"The time level spans {hi - lo + 1} periods; expected consecutive integers."
        )
    return ints - lo, list(range(lo, hi + 1))


def to_grid(data: pd.DataFrame, columns: Sequence[str]) -> PanelGrid:
    """Place ``columns`` of an (entity, time)-indexed frame on a dense entity × period grid."""
    ent_codes, entities = pd.factorize(data.index.get_level_values(0), sort=True)
    t_codes, labels = _period_codes(pd.Index(data.index.get_level_values(1)))
    n, t = len(entities), len(labels)
    arrays = {}
    for col in columns:
        grid = np.full((n, t), np.nan)
        grid[ent_codes, t_codes] = data[col].to_numpy(dtype=float)
        arrays[col] = grid
    positions = np.full((n, t), -1, dtype=np.int64)
    positions[ent_codes, t_codes] = np.arange(len(data))
    return PanelGrid(
        entities=pd.Index(entities), period_labels=labels, arrays=arrays, positions=positions
    )


def shift(a: np.ndarray, lag: int) -> np.ndarray:
    """``out[:, t] = a[:, t - lag]`` (``NaN`` where ``t - lag`` falls outside the grid)."""
    out = np.full_like(a, np.nan)
    t = a.shape[1]
    if lag == 0:
        out[:] = a
    elif 0 < lag < t:
        out[:, lag:] = a[:, : t - lag]
    elif -t < lag < 0:
        out[:, : t + lag] = a[:, -lag:]
    return out


# ----------------------------------------------------------------------------------------------
# Stacked rows
# ----------------------------------------------------------------------------------------------
@dataclass
class StackedRows:
    """Row layout of the stacked system: differenced rows first, then level rows.

    ``group`` and ``tpos`` give each row's entity and period position on the grid; ``level`` flags
    the level-equation rows. ``diff_pos[i, t]`` is the stacked row of entity ``i``'s differenced
    observation at period ``t`` (``-1`` if absent), and ``level_pos`` the same for level rows.
    """

    group: np.ndarray
    tpos: np.ndarray
    level: np.ndarray
    n_diff: int
    diff_pos: np.ndarray
    level_pos: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.group)

    @classmethod
    def from_masks(cls, diff_mask: np.ndarray, level_mask: np.ndarray | None) -> StackedRows:
        gd, td = np.nonzero(diff_mask)
        if level_mask is None:
            gl = tl = np.empty(0, dtype=np.int64)
        else:
            gl, tl = np.nonzero(level_mask)
        n_diff = len(gd)
        group = np.concatenate([gd, gl]).astype(np.int64)
        tpos = np.concatenate([td, tl]).astype(np.int64)
        level = np.concatenate([np.zeros(n_diff, bool), np.ones(len(gl), bool)])
        diff_pos = np.full(diff_mask.shape, -1, dtype=np.int64)
        diff_pos[gd, td] = np.arange(n_diff)
        level_pos = np.full(diff_mask.shape, -1, dtype=np.int64)
        level_pos[gl, tl] = n_diff + np.arange(len(gl))
        return cls(group, tpos, level, n_diff, diff_pos, level_pos)

    def take(self, grid_values: np.ndarray, level_values: np.ndarray | None = None) -> np.ndarray:
        """Per stacked row: ``grid_values`` on differenced rows, ``level_values`` on level rows."""
        out = np.empty(self.n_rows)
        d = slice(0, self.n_diff)
        out[d] = grid_values[self.group[d], self.tpos[d]]
        if self.n_rows > self.n_diff:
            src = grid_values if level_values is None else level_values
            lv = slice(self.n_diff, None)
            out[lv] = src[self.group[lv], self.tpos[lv]]
        return out


def entity_sum_operator(rows: StackedRows, n_entities: int) -> sp.csr_matrix:
    """Sparse ``P`` (entities × rows) with ``P @ v`` the per-entity sum of a row vector ``v``."""
    n = rows.n_rows
    return sp.csr_matrix(
        (np.ones(n), (rows.group, np.arange(n))), shape=(n_entities, n), dtype=float
    )


def one_step_kernel(rows: StackedRows, h: int) -> sp.csr_matrix:
    """The one-step weighting kernel ``H`` (block diagonal by entity), as xtabond2's ``h()`` option.

    Differenced block: ``2`` on the diagonal and ``-1`` between differenced observations in adjacent
    periods (the covariance of ``Δε`` for iid ``ε``, up to σ²). Level block: identity. ``h=3`` (the
    xtabond2 default) fills the cross blocks with the covariance of ``Δε_t`` and ``ε_s`` (``+1`` for
    ``s = t``, ``-1`` for ``s = t - 1``); ``h=2`` leaves them zero (DPD for Ox); ``h=1`` is the
    identity throughout.
    """
    n = rows.n_rows
    if h == 1:
        return sp.identity(n, format="csr")
    nd = rows.n_diff
    r_list = [np.arange(n)]
    c_list = [np.arange(n)]
    v_list = [np.where(rows.level, 1.0, 2.0)]
    gd, td = rows.group[:nd], rows.tpos[:nd]
    t_max = rows.diff_pos.shape[1]

    def pairs(pos_grid: np.ndarray, offset: int, value: float) -> None:
        tt = td + offset
        ok = (tt >= 0) & (tt < t_max)
        other = np.full(nd, -1, dtype=np.int64)
        other[ok] = pos_grid[gd[ok], tt[ok]]
        sel = other >= 0
        a, b = np.arange(nd)[sel], other[sel]
        r_list.extend([a, b])
        c_list.extend([b, a])
        v_list.extend([np.full(len(a), value)] * 2)

    pairs(rows.diff_pos, 1, -1.0)
    if h == 3 and n > nd:
        pairs(rows.level_pos, 0, 1.0)
        pairs(rows.level_pos, -1, -1.0)
    r = np.concatenate(r_list)
    c = np.concatenate(c_list)
    v = np.concatenate(v_list)
    return sp.csr_matrix((v, (r, c)), shape=(n, n))


# ----------------------------------------------------------------------------------------------
# Instruments
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GmmSpec:
    """GMM-style instruments for ``var``: lags ``min_lag..max_lag`` in the differenced equation."""

    var: str
    min_lag: int
    max_lag: int | None


@dataclass(frozen=True)
class IvSpec:
    """IV-style (standard) instrument: one column, differenced/level value by equation."""

    var: str
    equation: str = "both"  # "both" | "diff" | "level"


@dataclass
class _Blocks:
    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def add(self, r: np.ndarray, keys: np.ndarray, v: np.ndarray, name_of) -> None:
        """Add entries whose column is identified by ``keys`` (one new column per distinct key)."""
        keep = np.isfinite(v) & (v != 0)
        r, keys, v = r[keep], keys[keep], v[keep]
        if len(v) == 0:
            return
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        start = len(self.names)
        self.rows.append(r)
        self.cols.append(start + inv.reshape(-1))
        self.vals.append(v)
        self.names.extend(name_of(u) for u in uniq)

    def add_column(self, r: np.ndarray, v: np.ndarray, name: str) -> None:
        self.add(r, np.zeros(len(r), dtype=np.int64), v, lambda _u: name)

    def matrix(self, n_rows: int) -> sp.csr_matrix:
        if not self.names:
            return sp.csr_matrix((n_rows, 0))
        return sp.csr_matrix(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(n_rows, len(self.names)),
        )


def build_instruments(
    grid: PanelGrid,
    rows: StackedRows,
    gmm: Sequence[GmmSpec],
    iv: Sequence[IvSpec],
    *,
    collapse: bool,
    extra_iv: Sequence[tuple[str, np.ndarray]] = (),
) -> tuple[sp.csr_matrix, list[str]]:
    """Instrument matrix ``Z`` (stacked rows × instruments) in xtabond2's layout.

    * GMM-style, differenced equation: for the row of period ``t`` and each lag ``l`` in the range,
      the level ``v[t-l]``; one column per (period, lag) pair, or per lag when ``collapse``.
    * GMM-style, level equation (system GMM): the difference ``Δv[t-(min_lag-1)]``; one column per
      period, or a single column when ``collapse``.
    * IV-style: one column holding ``Δv[t]`` on differenced rows and ``v[t]`` on level rows (or only
      one of them, by ``equation``).
    * ``extra_iv``: ready-made columns (one value per stacked row), e.g. constant and time dummies.

    Unavailable values are zero, as in xtabond2, and columns that are zero on every stacked row are
    dropped.
    """
    blocks = _Blocks()
    nd = rows.n_diff
    n_t = grid.n_periods
    labels = grid.period_labels
    gd, td = rows.group[:nd], rows.tpos[:nd]
    rd = np.arange(nd)
    lv = slice(nd, rows.n_rows)
    gl, tl = rows.group[lv], rows.tpos[lv]
    rl = np.arange(nd, rows.n_rows)

    for spec in gmm:
        v = grid.arrays[spec.var]
        hi = n_t - 1 if spec.max_lag is None else min(spec.max_lag, n_t - 1)
        if nd:
            for lag in range(spec.min_lag, hi + 1):
                src = td - lag
                ok = src >= 0
                vals = np.full(nd, np.nan)
                vals[ok] = v[gd[ok], src[ok]]
                if collapse:
                    blocks.add_column(rd, vals, f"gmm({spec.var}, L{lag}) [diff, collapsed]")
                else:
                    blocks.add(
                        rd,
                        td,
                        vals,
                        lambda t, var=spec.var, lag=lag: (
                            f"gmm({var}, L{lag}) [diff, t={labels[t]}]"
                        ),
                    )
        if len(rl):
            lag = max(spec.min_lag - 1, 0)
            dv = shift(v - shift(v, 1), lag)
            vals = dv[gl, tl]
            if collapse:
                blocks.add_column(rl, vals, f"gmm({spec.var}, DL{lag}) [level, collapsed]")
            else:
                blocks.add(
                    rl,
                    tl,
                    vals,
                    lambda t, var=spec.var, lag=lag: f"gmm({var}, DL{lag}) [level, t={labels[t]}]",
                )

    for spec in iv:
        v = grid.arrays[spec.var]
        parts_r, parts_v = [], []
        if spec.equation in ("both", "diff") and nd:
            dv = v - shift(v, 1)
            parts_r.append(rd)
            parts_v.append(dv[gd, td])
        if spec.equation in ("both", "level") and len(rl):
            parts_r.append(rl)
            parts_v.append(v[gl, tl])
        if parts_r:
            blocks.add_column(
                np.concatenate(parts_r),
                np.concatenate(parts_v),
                f"iv({spec.var}) [{spec.equation}]",
            )

    all_rows = np.arange(rows.n_rows)
    for name, values in extra_iv:
        blocks.add_column(all_rows, np.asarray(values, dtype=float), name)

    return blocks.matrix(rows.n_rows), blocks.names

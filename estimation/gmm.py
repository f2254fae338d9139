r"""Dynamic-panel GMM: Arellano–Bond difference GMM and Blundell–Bond system GMM.

A small, dependency-light implementation (numpy / scipy / pandas) in the shape of ``linearmodels``::

    from estimation.gmm import DynamicPanelGMM

    mod = DynamicPanelGMM(data, dependent="n", exog=["w", "k"], lags=2,
                          gmm_instruments={"n": (2, 4), "w": (1, 3)}, iv_instruments=["k"],
                          system=True)
    res = mod.fit(iter_limit=2, cov_type="robust")   # two step, Windmeijer-corrected
    print(res.summary)    # a Summary: .tables, .params, .tests, as_text() / as_html()
    res.params, res.std_errors, res.hansen, res.ar(2), res.resids

As in linearmodels (``IVGMM(...).fit(iter_limit=2, cov_type="robust")``), the constructor takes the
model (data, lags, instruments, transformation) and :meth:`DynamicPanelGMM.fit` the estimation
choices (number of steps, covariance, one-step weighting kernel).

The instrument conventions follow Stata's ``xtabond2`` (Roodman 2009), so that
``xtabond2 n L(1/2).n w k, gmm(n, lag(2 4)) gmm(w, lag(1 3)) iv(k) twostep robust`` is reproduced
to machine precision on the Arellano–Bond data (see ``tests/estimation/test_gmm.py``).

Notes
-----
**Model.** For entity :math:`i` and period :math:`t`

.. math::  y_{it} = \sum_{j=1}^{p}\alpha_j y_{i,t-j} + x_{it}'\beta + \mu_i + \varepsilon_{it},

with unobserved effects :math:`\mu_i` and idiosyncratic errors :math:`\varepsilon_{it}` that are
serially uncorrelated but may be heteroskedastic across entities.

**Difference GMM** (Arellano and Bond 1991) removes :math:`\mu_i` by first differencing. The lagged
dependent variable :math:`\Delta y_{i,t-1}` is correlated with :math:`\Delta\varepsilon_{it}`, but
levels dated :math:`t-2` and earlier are not, giving the moment conditions
:math:`E[y_{i,t-l}\,\Delta\varepsilon_{it}] = 0` for :math:`l \ge 2` ("GMM-style" instruments: one
column per period and lag, or per lag with ``collapse``). Predetermined or endogenous regressors get
the same treatment with their own lag ranges; strictly exogenous ones can enter as "IV-style"
instruments (one column, :math:`\Delta x_{it}`).

**System GMM** (Arellano and Bover 1995; Blundell and Bond 1998) adds the equations in levels.
Lagged *levels* are weak instruments for differences when :math:`y` is persistent; conversely lagged
*differences* are valid instruments for the levels equation provided :math:`E[\Delta y_{i,t-1}\mu_i]
= 0`, which holds when the process is mean-stationary (the initial deviations from the long-run mean
:math:`\mu_i/(1-\alpha)` are uncorrelated with :math:`\mu_i`). Differences are uncorrelated with the
fixed effect even though levels are not, which is why the level equation is instrumented with lagged
*differences*: for a GMM-style variable with lag range ``(a, b)`` in the differenced equation the
level equation uses :math:`\Delta v_{i,t-(a-1)}` only, since deeper lagged differences are
redundant given the differenced-equation moments (xtabond2's default). The constant enters the
level equation only (as regressor and instrument).

**One step.** :math:`\hat\beta_1 = (X'ZA_1Z'X)^{-1}X'ZA_1Z'y` with
:math:`A_1 = (\sum_i Z_i'HZ_i)^{-1}`. :math:`H` is the covariance of the stacked errors under iid
:math:`\varepsilon` (xtabond2's default ``h(3)``): ``2`` on the diagonal and ``-1`` between
adjacent differences, the identity for levels and
:math:`\operatorname{cov}(\Delta\varepsilon_t, \varepsilon_s)` in the cross blocks.
Non-robust: :math:`\hat V_1 = \hat\sigma^2 (X'ZA_1Z'X)^{-1}`; robust: the entity-clustered sandwich
:math:`\hat V_1^r = M_1 X'ZA_1 \hat S(\hat u_1) A_1 Z'X M_1` with
:math:`\hat S(u) = \sum_i Z_i'u_iu_i'Z_i`.

**Two step.** :math:`W_2 = \hat S(\hat u_1)^{-1}` and
:math:`\hat\beta_2 = (X'ZW_2Z'X)^{-1}X'ZW_2Z'y`, with the textbook variance
:math:`V_2 = (X'ZW_2Z'X)^{-1}`, which is severely downward biased in finite samples because it
ignores that :math:`W_2` is itself estimated from :math:`\hat\beta_1`.

**Windmeijer (2005) correction.** A first-order expansion of :math:`\hat\beta_2` in
:math:`\hat\beta_1` gives

.. math::  \hat V_c = V_2 + D V_2 + V_2 D' + D \hat V_1^r D',

where column :math:`k` of :math:`D` is the derivative of :math:`\hat\beta_2` with respect to the
weighting matrix moved along :math:`\beta_{1,k}`:

.. math::
    D_{\cdot k} = V_2\, X'Z\, W_2
        \Big[\sum_i Z_i'(x_{ik}\hat u_{1i}' + \hat u_{1i}x_{ik}')Z_i\Big] W_2\, Z'\hat u_2 .

The per-entity sums are computed with a sparse entity-summing operator, never with an
``n × n`` matrix.

**Specification tests.** Hansen's :math:`J = \hat u_2'Z W_2 Z'\hat u_2 \sim \chi^2_{L-K}`, the
minimized two-step criterion (robust; reported for one-step fits too, as xtabond2 does); Sargan's
:math:`\hat u_1'Z A_1 Z'\hat u_1/\hat\sigma^2` (not robust, from the one-step fit, with
:math:`\hat\sigma^2 = \sum \Delta\hat u_1^2 / (2(n_\Delta - K))` from the differenced residuals;
this reproduces xtabond2's Sargan for difference GMM). The Arellano–Bond AR(m) statistic uses the
differenced residuals :math:`\hat e` and their m-th lags :math:`\hat e_{-m}` (zero where
unavailable and on level rows), with :math:`\hat u_i` the entity's stacked residuals (both
equations):

.. math::
    z = \frac{\hat e_{-m}'\hat e}{\sqrt{\sum_i (\hat e_{-m,i}'\hat e_i)^2
        - 2\hat e_{-m}'X\, M X'Z A \sum_i Z_i'\hat u_i\hat u_i'\hat e_{-m,i}
        + \hat e_{-m}'X \hat V X'\hat e_{-m}}}

with :math:`(M, A)` the bread and weight of the reported estimator and :math:`\hat V` its reported
covariance (Arellano and Bond 1991, eq. 8; Roodman 2009). Non-robust one-step fits replace the
empirical :math:`\hat u_i\hat u_i'` by :math:`\hat\sigma^2 H_i`.

**Conventions** (xtabond2's unless noted). Each equation has its own sample: a differenced row
needs every differenced variable, a level row every level variable. Unavailable instrument values
are zero and instrument columns that are zero throughout are dropped. A GMM-style lag range with
``min_lag = 0`` uses the current difference :math:`\Delta v_{it}` in the level equation (a
choice of this implementation). ``nobs`` counts differenced-equation observations (as pydynpd
prints; xtabond2 prints the level count for system GMM, here ``nobs_levels``). Generalized
(Moore–Penrose) inverses are used for the weight matrices, which matters only when they are
singular (more instruments than groups).

References
----------
Arellano, M. and Bond, S. (1991). Review of Economic Studies 58, 277–297.
Arellano, M. and Bover, O. (1995). Journal of Econometrics 68, 29–51.
Blundell, R. and Bond, S. (1998). Journal of Econometrics 87, 115–143.
Windmeijer, F. (2005). Journal of Econometrics 126, 25–51.
Roodman, D. (2009). How to do xtabond2. Stata Journal 9(1), 86–136.
"""

from __future__ import annotations

import dataclasses
import re
import warnings as _warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from estimation._gmm_estimate import Core, SpecificationTest, check_rank, estimate
from estimation._gmm_instruments import (
    GmmSpec,
    IvSpec,
    StackedRows,
    build_instruments,
    entity_sum_operator,
    one_step_kernel,
    shift,
    to_grid,
)
from estimation.summary import Summary, info_frame, tests_frame

__all__ = [
    "DynamicPanelGMM",
    "DynamicPanelGMMResults",
    "FitOptions",
    "InstrumentCountWarning",
    "SpecificationTest",
]


class InstrumentCountWarning(UserWarning):
    """More instruments than groups: the two-step weight is singular and Hansen's J is weakened."""


_EQUATIONS = ("both", "diff", "level")
COV_TYPES = ("robust", "unadjusted")


@dataclass(frozen=True)
class FitOptions:
    """The estimation choices of one fit (the arguments of :meth:`DynamicPanelGMM.fit`)."""

    iter_limit: int = 2
    cov_type: str = "robust"
    h: int = 3

    def __post_init__(self) -> None:
        if isinstance(self.iter_limit, bool) or self.iter_limit not in (1, 2):
            raise ValueError(
                f"iter_limit must be 1 (one-step) or 2 (two-step GMM), got {self.iter_limit!r}; "
                "iterated GMM is not implemented"
            )
        if self.cov_type not in COV_TYPES:
            raise ValueError(f"cov_type must be one of {COV_TYPES}, got {self.cov_type!r}")
        if isinstance(self.h, bool) or self.h not in (1, 2, 3):
            raise ValueError(f"h must be 1, 2 or 3, got {self.h!r}")

    def replace(self, **given: Any) -> FitOptions:
        """These options with the given (not None) values replaced."""
        return dataclasses.replace(self, **{k: v for k, v in given.items() if v is not None})


#: Constructor keywords of the previous release that are estimation choices → what fit() takes.
_DEPRECATED_KEYWORDS = {
    "two_step": "fit(iter_limit=2) for two steps, fit(iter_limit=1) for one",
    "robust": 'fit(cov_type="robust") or fit(cov_type="unadjusted")',
    "h": "fit(h=...)",
}


def _deprecated_fit_options(given: Mapping[str, Any]) -> FitOptions:
    """Fit defaults from the deprecated constructor keywords, with a DeprecationWarning each."""
    unknown = sorted(set(given) - set(_DEPRECATED_KEYWORDS))
    if unknown:
        raise TypeError(f"DynamicPanelGMM() got unexpected keyword argument(s) {unknown}")
    values: dict[str, Any] = {}
    for name, value in given.items():
        _warnings.warn(
            f"DynamicPanelGMM({name}=...) is deprecated and will be removed in the next release: "
            f"it is an estimation choice, pass {_DEPRECATED_KEYWORDS[name]} instead",
            DeprecationWarning,
            stacklevel=3,
        )
        if name == "two_step":
            values["iter_limit"] = 2 if value else 1
        elif name == "robust":
            values["cov_type"] = "robust" if value else "unadjusted"
        else:
            values["h"] = value
    return FitOptions().replace(**values)


_LAG_NAME = re.compile(r"^L(\d+)\.(.+)$")


def _resolve_name(name: str, columns: pd.Index) -> tuple[str, int] | None:
    """``(column, lag)`` for a column name or an ``L<k>.<column>`` lag of one (else ``None``)."""
    if name in columns:
        return name, 0
    m = _LAG_NAME.match(name)
    if m and m.group(2) in columns:
        return m.group(2), int(m.group(1))
    return None


def _as_list(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    out = list(value)
    if not all(isinstance(v, str) for v in out):
        raise ValueError(f"{what} must be column names (strings); got {out!r}")
    return out


def too_many_instruments(n_inst: int, n_groups: int, *, two_step: bool, collapsed: bool) -> str:
    """The note for more instrument columns than groups, in the reader's terms: what it does to
    this fit (one- or two-step) and the remedy left (collapsing only when not done already)."""
    what = (
        "the two-step weight matrix is singular (a generalized inverse is used), "
        if two_step
        else ""
    )
    remedy = (
        "use fewer lags as instruments (xtabond2's `laglimits`) or instrument fewer variables "
        "GMM-style: the instruments are already collapsed"
        if collapsed
        else "collapse the instrument matrix, as xtabond2's `collapse` option does, or use fewer "
        "lags as instruments (xtabond2's `laglimits`)"
    )
    return (
        f"{n_inst} instruments exceed the {n_groups} groups: {what}Hansen's J (a sum over groups) "
        f"is weakened and the estimates lean towards OLS (Roodman 2009); {remedy}"
    )


class DynamicPanelGMM:
    r"""Arellano–Bond difference GMM and Blundell–Bond system GMM for dynamic panels.

    Parameters
    ----------
    data : pandas.DataFrame
        Indexed by an (entity, time) MultiIndex as in linearmodels. Time must be integer periods
        (e.g. years), a ``PeriodIndex`` or regular datetimes; panels may be unbalanced and have gaps
        (a lag across a gap is missing).
    dependent : str
        Dependent variable column.
    exog : str or list of str, optional
        Other regressors (entered contemporaneously). Whether they are exogenous, predetermined or
        endogenous is expressed through the instruments, as in xtabond2: regressors are *not*
        instruments unless listed in ``gmm_instruments`` or ``iv_instruments``. Any variable name
        here or in the instrument lists may be written ``L<k>.<column>`` for the k-th lag of a
        column (xtabond2's ``L.w``); lags are taken on the period grid, so they are unavailable
        (not "missing") in an entity's first k periods and across gaps.
    lags : int, default 1
        Number of lags of the dependent variable used as regressors (named ``L1.y``, ``L2.y``, ...).
    gmm_instruments : dict {column: (min_lag, max_lag)}
        GMM-style instruments, as xtabond2 ``gmm(var, lag(min max))``: lags ``min..max`` of the
        level in the differenced equation (``max_lag=None``: all available); in the level equation
        (``system=True``) the difference lagged ``min_lag - 1``.
    iv_instruments : list of str or dict {column: "both" | "diff" | "level"}
        IV-style instruments, as xtabond2 ``iv(var)``: one column holding the difference on
        differenced rows and the level on level rows (``"both"``, the default).
    system : bool, default True
        System GMM (differenced and level equations) if True, else difference GMM.
    collapse : bool, default False
        Collapse GMM-style instruments to one column per lag (xtabond2 ``collapse``).
    time_dummies : bool, default False
        Add period dummies as regressors and IV-style instruments (equation both). With a constant
        (system GMM) the first period of the level sample is the base; in difference GMM the first
        differenced dummy is dropped (the differenced set sums to zero).
    constant : bool, default True
        Constant in the level equation (regressor and instrument). Ignored in difference GMM, where
        differencing removes it (as in xtabond2).
    missing : {"raise", "drop"}, default "raise"
        Missing values in used columns: raise a ``ValueError`` naming the columns and counts, or
        drop those rows (lags across dropped rows then count as unavailable).
    **deprecated
        ``two_step``, ``robust`` and ``h``, estimation choices that :meth:`fit` now takes
        (``iter_limit``, ``cov_type``, ``h``). Still accepted for one release, with a
        ``DeprecationWarning``; they become the defaults of :meth:`fit`.

    Notes
    -----
    See the module docstring for the estimators, the Windmeijer correction and the tests.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        dependent: str,
        exog: str | Sequence[str] | None = None,
        lags: int = 1,
        gmm_instruments: Mapping[str, tuple[int, int | None]] | None = None,
        iv_instruments: Sequence[str] | Mapping[str, str] | None = None,
        *,
        system: bool = True,
        collapse: bool = False,
        time_dummies: bool = False,
        constant: bool = True,
        missing: str = "raise",
        **deprecated: Any,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise ValueError("data must be a pandas DataFrame indexed by (entity, time)")
        if not isinstance(data.index, pd.MultiIndex) or data.index.nlevels != 2:
            raise ValueError(
                "data must have a 2-level (entity, time) MultiIndex, as in linearmodels"
            )
        if data.index.duplicated().any():
            dup = data.index[data.index.duplicated()][:3].tolist()
            raise ValueError(f"data has duplicate (entity, time) index entries, e.g. {dup}")
        if not isinstance(dependent, str):
            raise ValueError("dependent must be a column name")
        if isinstance(lags, bool) or not isinstance(lags, (int, np.integer)) or lags < 0:
            raise ValueError(f"lags must be a non-negative integer, got {lags!r}")
        if missing not in ("raise", "drop"):
            raise ValueError("missing must be 'raise' or 'drop'")
        self._fit_defaults = _deprecated_fit_options(deprecated)

        self.data = data
        self.dependent = dependent
        self.exog = _as_list(exog, "exog")
        self.lags = int(lags)
        self.system = bool(system)
        self.collapse = bool(collapse)
        self.time_dummies = bool(time_dummies)
        self.constant = bool(constant)
        self.missing = missing

        self.gmm_instruments: dict[str, tuple[int, int | None]] = {}
        for var, lag_range in dict(gmm_instruments or {}).items():
            try:
                lo, hi = lag_range
            except (TypeError, ValueError):
                raise ValueError(
                    f"gmm_instruments[{var!r}] must be a (min_lag, max_lag) pair, got {lag_range!r}"
                ) from None
            if isinstance(lo, bool) or not isinstance(lo, (int, np.integer)) or lo < 0:
                raise ValueError(f"gmm_instruments[{var!r}]: min_lag must be an integer >= 0")
            if hi is not None and (not isinstance(hi, (int, np.integer)) or hi < lo):
                raise ValueError(f"gmm_instruments[{var!r}]: max_lag must be None or >= min_lag")
            self.gmm_instruments[var] = (int(lo), None if hi is None else int(hi))

        if isinstance(iv_instruments, Mapping):
            self.iv_instruments = dict(iv_instruments)
        else:
            self.iv_instruments = {v: "both" for v in _as_list(iv_instruments, "iv_instruments")}
        for var, eq in self.iv_instruments.items():
            if eq not in _EQUATIONS:
                raise ValueError(f"iv_instruments[{var!r}]: equation must be one of {_EQUATIONS}")

        if dependent not in data.columns:
            raise ValueError(
                f"Unknown variable {dependent!r}: the dependent variable is not a column"
            )
        names = [dependent, *self.exog, *self.gmm_instruments, *self.iv_instruments]
        self._lagged: dict[str, tuple[str, int]] = {}
        unknown = []
        for name in dict.fromkeys(names):
            resolved = _resolve_name(name, data.columns)
            if resolved is None:
                unknown.append(name)
            elif resolved[1]:
                self._lagged[name] = resolved
        if unknown:
            cols = list(map(str, data.columns))
            shown = ", ".join(cols[:25]) + (", ..." if len(cols) > 25 else "")
            raise ValueError(
                f"Unknown variable(s) {unknown}: not columns of data (nor 'L<k>.<column>' lags of "
                f"one). Available: {shown}"
            )
        if dependent in self.exog:
            raise ValueError(f"the dependent variable {dependent!r} cannot also be in exog")
        if len(set(self.exog)) != len(self.exog):
            raise ValueError(f"exog has duplicate names: {self.exog}")
        self._used = list(
            dict.fromkeys(self._lagged[n][0] if n in self._lagged else n for n in names)
        )
        non_numeric = [c for c in self._used if not pd.api.types.is_numeric_dtype(data[c])]
        if non_numeric:
            raise ValueError(f"column(s) {non_numeric} are not numeric")
        if self.lags == 0 and not self.exog and not self.time_dummies:
            raise ValueError("the model has no regressors (lags=0 and no exog)")
        if not self.gmm_instruments and not self.iv_instruments and not self.time_dummies:
            raise ValueError("no instruments: give gmm_instruments and/or iv_instruments")

    # ------------------------------------------------------------------------------------------
    @property
    def spec(self) -> dict[str, Any]:
        """The model specification as a plain dict (estimation choices are in the results)."""
        return {
            "dependent": self.dependent,
            "exog": list(self.exog),
            "lags": self.lags,
            "gmm_instruments": dict(self.gmm_instruments),
            "iv_instruments": dict(self.iv_instruments),
            "system": self.system,
            "collapse": self.collapse,
            "time_dummies": self.time_dummies,
            "constant": self.constant and self.system,
            "missing": self.missing,
        }

    @property
    def xtabond2_command(self) -> str:
        """The model as an ``xtabond2`` command line, without the estimation options
        (``twostep``, ``robust``, ``h()``: see the results' ``xtabond2_command``)."""
        return self._xtabond2_command(FitOptions(iter_limit=1, cov_type="unadjusted", h=3))

    def _xtabond2_command(self, options: FitOptions) -> str:
        y = self.dependent
        regs = [f"L(1/{self.lags}).{y}"] if self.lags > 1 else [f"L.{y}"] if self.lags else []
        regs += self.exog
        opts = []
        for var, (lo, hi) in self.gmm_instruments.items():
            c = ", collapse" if self.collapse else ""
            opts.append(f"gmm({var}, lag({lo} {'.' if hi is None else hi}){c})")
        for var, eq in self.iv_instruments.items():
            opts.append(f"iv({var})" if eq == "both" else f"iv({var}, eq({eq}))")
        if not self.system:
            opts.append("noleveleq")
        if options.iter_limit == 2:
            opts.append("twostep")
        if options.cov_type == "robust":
            opts.append("robust")
        if options.h != 3:
            opts.append(f"h({options.h})")
        if self.system and not self.constant:
            opts.append("noconstant")
        return f"xtabond2 {y} {' '.join(regs)}, {' '.join(opts)}"

    def __repr__(self) -> str:
        kind = "system" if self.system else "difference"
        return f"DynamicPanelGMM({kind} GMM: {self.xtabond2_command})"

    # ------------------------------------------------------------------------------------------
    def _prepared_data(self, notes: list[str]) -> pd.DataFrame:
        df = self.data[self._used]
        na = df.isna()
        if na.to_numpy().any():
            counts = na.sum()
            counts = counts[counts > 0]
            detail = ", ".join(f"{c!r}: {n} row(s)" for c, n in counts.items())
            if self.missing == "raise":
                raise ValueError(
                    f"Missing values in used column(s) ({detail}). Clean the data or pass "
                    "missing='drop' to drop those rows."
                )
            n_drop = int(na.any(axis=1).sum())
            notes.append(f"dropped {n_drop} row(s) with missing values ({detail})")
            df = df.loc[~na.any(axis=1)]
        if not np.isfinite(df.to_numpy(dtype=float)).all():
            bad = [c for c in df.columns if not np.isfinite(df[c].to_numpy(dtype=float)).all()]
            raise ValueError(f"Infinite values in column(s) {', '.join(bad)}")
        if len(df) == 0:
            raise ValueError("no observations left")
        return df

    def fit(
        self, *, iter_limit: int | None = None, cov_type: str | None = None, h: int | None = None
    ) -> DynamicPanelGMMResults:
        """Estimate the model.

        Parameters
        ----------
        iter_limit : {1, 2}, default 2
            Number of GMM steps, as linearmodels' ``IVGMM.fit(iter_limit=...)``: 1 is one-step
            GMM with the weight :math:`A_1`, 2 two-step efficient GMM. Iterated GMM (more steps) is
            not implemented.
        cov_type : {"robust", "unadjusted"}, default "robust"
            ``robust``: Windmeijer-corrected covariance for two-step fits, entity-clustered for
            one-step fits. ``unadjusted``: the classical (homoskedastic) covariance.
        h : {1, 2, 3}, default 3
            One-step weighting kernel, as xtabond2's ``h()`` option (matters for system GMM only).

        A deprecated constructor argument (``two_step``, ``robust``, ``h``) supplies the default
        of the matching argument here.

        Returns
        -------
        DynamicPanelGMMResults
        """
        options = self._fit_defaults.replace(iter_limit=iter_limit, cov_type=cov_type, h=h)
        notes: list[str] = []
        df = self._prepared_data(notes)
        grid = to_grid(df, self._used)
        for name, (base, lag) in self._lagged.items():
            grid.arrays[name] = shift(grid.arrays[base], lag)
        y_name = self.dependent
        yg = grid.arrays[y_name]

        lag_names = [f"L{j}.{y_name}" for j in range(1, self.lags + 1)]
        level_arrays = [shift(yg, j) for j in range(1, self.lags + 1)]
        level_arrays += [grid.arrays[x] for x in self.exog]
        reg_names = lag_names + list(self.exog)
        diff_arrays = [a - shift(a, 1) for a in level_arrays]
        dy = yg - shift(yg, 1)

        diff_mask = np.isfinite(dy)
        for a in diff_arrays:
            diff_mask &= np.isfinite(a)
        level_mask = None
        if self.system:
            level_mask = np.isfinite(yg)
            for a in level_arrays:
                level_mask &= np.isfinite(a)

        n_diff = int(diff_mask.sum())
        if n_diff == 0:
            raise ValueError(
                f"Too few periods: no entity has the {self.lags + 2} consecutive periods needed "
                f"for the differenced equation with {self.lags} lag(s) of the dependent variable."
            )
        rows = StackedRows.from_masks(diff_mask, level_mask)
        groups_used = np.unique(rows.group)
        n_groups = len(groups_used)
        if n_groups < 2:
            raise ValueError(
                f"Too few groups: only {n_groups} entity has usable observations "
                f"with {self.lags} lag(s) of the dependent variable"
            )

        # --- regressors -------------------------------------------------------------------------
        cols = [rows.take(d, lv) for d, lv in zip(diff_arrays, level_arrays, strict=True)]
        y = rows.take(dy, yg)
        extra_iv: list[tuple[str, np.ndarray]] = []
        is_level = rows.level
        use_const = self.system and self.constant
        if self.time_dummies:
            tnames, tcols = self._time_dummies(grid, rows, use_const)
            reg_names += tnames
            cols += tcols
            extra_iv += [(f"iv({n}) [both]", c) for n, c in zip(tnames, tcols, strict=True)]
        if use_const:
            const = is_level.astype(float)
            reg_names.append("const")
            cols.append(const)
            extra_iv.append(("iv(const) [level]", const))
        if not cols:
            raise ValueError("the model has no regressors")
        X = np.column_stack(cols)
        check_rank(X, reg_names, rows)

        # --- instruments ------------------------------------------------------------------------
        gmm_specs = [GmmSpec(v, lo, hi) for v, (lo, hi) in self.gmm_instruments.items()]
        iv_specs = [IvSpec(v, eq) for v, eq in self.iv_instruments.items()]
        Z, inst_names = build_instruments(
            grid, rows, gmm_specs, iv_specs, collapse=self.collapse, extra_iv=extra_iv
        )
        n_inst, k = Z.shape[1], X.shape[1]
        if n_inst < k:
            raise ValueError(
                f"Under-identified: {n_inst} instrument column(s) for {k} regressors "
                f"({', '.join(reg_names)}). Add instruments or lags."
            )
        two_step, robust = options.iter_limit == 2, options.cov_type == "robust"
        warn_list: list[str] = list(notes)
        if n_inst > n_groups:
            msg = too_many_instruments(n_inst, n_groups, two_step=two_step, collapsed=self.collapse)
            _warnings.warn(msg, InstrumentCountWarning, stacklevel=2)
            warn_list.append(msg)

        H = one_step_kernel(rows, options.h)
        P = entity_sum_operator(rows, grid.n_entities)
        core = estimate(y, X, Z, H, P, rows, reg_names, two_step, robust)

        obs_per_group = np.bincount(rows.group[: rows.n_diff], minlength=grid.n_entities)
        obs_per_group = obs_per_group[groups_used]
        return DynamicPanelGMMResults(
            model=self,
            options=options,
            core=core,
            row_index=df.index[grid.positions[rows.group, rows.tpos]],
            n_diff=rows.n_diff,
            param_names=reg_names,
            instrument_names=inst_names,
            nobs=rows.n_diff,
            nobs_levels=rows.n_rows - rows.n_diff,
            n_groups=n_groups,
            obs_per_group=obs_per_group,
            time_name=str(self.data.index.names[1] or "time"),
            entity_name=str(self.data.index.names[0] or "entity"),
            warnings=warn_list,
        )

    def _time_dummies(
        self, grid, rows: StackedRows, use_const: bool
    ) -> tuple[list[str], list[np.ndarray]]:
        nd = rows.n_diff
        td = rows.tpos[:nd]
        if self.system:
            periods = np.unique(rows.tpos[nd:])
        else:
            periods = np.unique(np.concatenate([td, td - 1]))
            periods = periods[periods >= 0]
        if use_const or not self.system:
            periods = periods[1:]
        tname = str(self.data.index.names[1] or "time")
        names, cols = [], []
        for p in periods:
            col = np.empty(rows.n_rows)
            col[:nd] = (td == p).astype(float) - (td - 1 == p).astype(float)
            col[nd:] = (rows.tpos[nd:] == p).astype(float)
            names.append(f"{tname}_{grid.period_labels[p]}")
            cols.append(col)
        return names, cols


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------
class DynamicPanelGMMResults:
    """Results of :meth:`DynamicPanelGMM.fit`.

    Attributes
    ----------
    params, std_errors, tstats, pvalues : pandas.Series
        Estimates, standard errors (Windmeijer-corrected for two-step robust, entity-clustered for
        one-step robust, classical otherwise), z statistics and normal p-values.
    cov : pandas.DataFrame
        Parameter covariance.
    nobs : int
        Observations in the first-differenced equation (the count pydynpd prints; for system GMM
        xtabond2 prints the level-equation count, ``nobs_levels``).
    n_groups, n_instruments : int
    sargan, hansen : SpecificationTest
        ``(stat, df, pval)``. Sargan: one-step, not robust. Hansen: robust, the minimized two-step
        criterion (also for one-step fits, as in xtabond2).
    resids : pandas.DataFrame
        Residuals indexed by the data's own (entity, time) index: column ``diff`` (differenced
        equation) and, for system GMM, ``level``; NaN where a row is in one equation only.
    summary : estimation.summary.Summary
        Model information, parameter table and specification tests as tables; ``str()`` prints
        them.
    warnings : list of str
        Warnings raised (and notes, e.g. dropped rows) while fitting.
    model : DynamicPanelGMM
        The model (``model.spec`` is the specification as a dict).
    options : FitOptions
        The estimation choices of the fit (``iter_limit``, ``cov_type``, ``h``).
    cov_type : str
        The covariance actually computed, in words (``two-step, Windmeijer-corrected (robust)``).
    """

    def __init__(
        self,
        *,
        model: DynamicPanelGMM,
        options: FitOptions,
        core: Core,
        row_index: pd.Index,
        n_diff: int,
        param_names: list[str],
        instrument_names: list[str],
        nobs: int,
        nobs_levels: int,
        n_groups: int,
        obs_per_group: np.ndarray,
        time_name: str,
        entity_name: str,
        warnings: list[str],
    ) -> None:
        self.model = model
        self.options = options
        self._core = core
        self._row_index = row_index
        self._n_diff = int(n_diff)
        self.param_names = list(param_names)
        self.instrument_names = list(instrument_names)
        self.nobs = int(nobs)
        self.nobs_levels = int(nobs_levels)
        self.n_groups = int(n_groups)
        self.n_instruments = int(core.n_instruments)
        self.obs_per_group = obs_per_group
        self.time_name = time_name
        self.entity_name = entity_name
        self.warnings = list(warnings)
        self.cov_type = core.cov_type
        self.sargan = core.sargan
        self.hansen = core.hansen
        self._ar_cache: dict[int, tuple[float, float]] = {}

    # ---- parameters ---------------------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        return pd.Series(self._core.params, index=self.param_names, name="parameter")

    @property
    def params_onestep(self) -> pd.Series:
        """One-step estimates (equal to ``params`` for one-step fits)."""
        return pd.Series(self._core.params_onestep, index=self.param_names, name="parameter")

    @property
    def cov(self) -> pd.DataFrame:
        return pd.DataFrame(self._core.cov, index=self.param_names, columns=self.param_names)

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self._core.cov)), index=self.param_names, name="std_error")

    @property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("tstat")

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(
            2 * stats.norm.sf(np.abs(self.tstats.to_numpy())), index=self.param_names, name="pvalue"
        )

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Normal confidence intervals, columns ``lower`` and ``upper``."""
        if not 0 < level < 1:
            raise ValueError("level must be in (0, 1)")
        q = stats.norm.ppf(0.5 + level / 2)
        p, se = self.params, self.std_errors
        return pd.DataFrame({"lower": p - q * se, "upper": p + q * se})

    @property
    def resids(self) -> pd.DataFrame:
        """Residuals on the data's (entity, time) index: ``diff`` (the differenced equation's
        residual dated t, an estimate of :math:`\\Delta\\varepsilon_{it}`) and, for system GMM,
        ``level`` (:math:`\\mu_i + \\varepsilon_{it}`); rows in the data's order."""
        nd = self._n_diff
        diff = pd.Series(self._core.resid[:nd], index=self._row_index[:nd])
        columns = {"diff": diff}
        if self.model.system:
            columns["level"] = pd.Series(self._core.resid[nd:], index=self._row_index[nd:])
        frame = pd.DataFrame(columns)
        order = self.model.data.index
        return frame.loc[order[order.isin(frame.index)]]

    @property
    def xtabond2_command(self) -> str:
        """The fit as an ``xtabond2`` command line (model plus ``twostep``, ``robust``, ``h()``)."""
        return self.model._xtabond2_command(self.options)

    # ---- Arellano–Bond test -----------------------------------------------------------------
    def ar(self, order: int) -> tuple[float, float]:
        """Arellano–Bond test for AR(``order``) in first-differenced residuals: ``(z, p)``.

        ``p`` is two-sided (normal). Returns ``(nan, nan)`` when no residual pair ``order`` periods
        apart exists.
        """
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
            raise ValueError("order must be a positive integer")
        order = int(order)
        if order not in self._ar_cache:
            self._ar_cache[order] = self._ar(order)
        return self._ar_cache[order]

    @property
    def ar1(self) -> tuple[float, float]:
        return self.ar(1)

    @property
    def ar2(self) -> tuple[float, float]:
        return self.ar(2)

    def _ar(self, order: int) -> tuple[float, float]:
        inp = self._core.ar_inputs
        rows: StackedRows = inp["rows"]
        X, Zt, P = inp["X"], inp["Zt"], inp["P"]
        e = self._core.resid
        nd = rows.n_diff
        gd, td = rows.group[:nd], rows.tpos[:nd]
        src = td - order
        lag_row = np.full(nd, -1, dtype=np.int64)
        ok = src >= 0
        lag_row[ok] = rows.diff_pos[gd[ok], src[ok]]
        e_lag = np.zeros(rows.n_rows)
        has = lag_row >= 0
        if not has.any():
            return float("nan"), float("nan")
        e_lag[:nd][has] = e[lag_row[has]]
        num = float(e_lag @ e)
        xe = X.T @ e_lag
        bread, weight = inp["bread"], inp["weight"]
        if inp["empirical"]:
            w = P @ (e * e_lag)  # per entity e_lag_i' e_i
            a_term = float(w @ w)
            zee = np.asarray(Zt @ (e * w[rows.group])).ravel()
        else:
            s2 = self._core.sigma2
            a_term = s2 * float(e_lag @ (inp["H"] @ e_lag))
            zee = s2 * np.asarray(Zt @ (inp["H"] @ e_lag)).ravel()
        b_term = -2.0 * float(xe @ bread @ inp["ZX"].T @ weight @ zee)
        c_term = float(xe @ self._core.cov @ xe)
        var = a_term + b_term + c_term
        if not var > 0:
            return float("nan"), float("nan")
        z = num / np.sqrt(var)
        return z, float(2 * stats.norm.sf(abs(z)))

    # ---- presentation ----------------------------------------------------------------------
    @property
    def summary(self) -> Summary:
        """Model information, parameters and specification tests as a :class:`Summary`."""
        m = self.model
        kind = "system" if m.system else "difference"
        step = "two-step" if self.options.iter_limit == 2 else "one-step"
        opg = self.obs_per_group
        info = info_frame(
            [
                ("Dep. variable", m.dependent),
                ("No. observations", self.nobs),
                ("Entity", self.entity_name),
                ("No. groups", self.n_groups),
                ("Time", self.time_name),
                ("No. instruments", self.n_instruments),
                ("Obs per group", f"{opg.min()} / {opg.mean():.2f} / {opg.max()}"),
                ("Level-eq. obs.", self.nobs_levels if m.system else "-"),
            ]
        )
        ci = self.conf_int()
        params = pd.DataFrame(
            {
                "Coef.": self.params,
                "Std. Err.": self.std_errors,
                "z": self.tstats,
                "P>|z|": self.pvalues,
                "[95% Conf.": ci["lower"],
                "Int.]": ci["upper"],
            }
        )
        rows = [
            ("Sargan", "chi2", self.sargan.stat, self.sargan.df, self.sargan.pval, "not robust"),
            ("Hansen", "chi2", self.hansen.stat, self.hansen.df, self.hansen.pval, "robust"),
        ]
        for order in (1, 2):
            z, p = self.ar(order)
            rows.append((f"Arellano-Bond AR({order}) in first differences", "z", z, np.nan, p, ""))
        extra = [
            f"Covariance: {self.cov_type}",
            f"Instruments: {self.xtabond2_command.split(', ', 1)[1]}",
        ]
        extra += [f"Warning: {w}" for w in self.warnings]
        return Summary(
            title=f"Dynamic panel-data estimation, {step} {kind} GMM",
            info=info,
            params=params,
            tests=tests_frame(rows),
            extra_txt=extra,
        )

    def __str__(self) -> str:
        return str(self.summary)

    def __repr__(self) -> str:
        return str(self.summary)

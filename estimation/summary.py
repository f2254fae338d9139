"""A fit's summary as tables, in the shape of linearmodels' ``Summary``.

linearmodels' results return a ``Summary`` (statsmodels' class) whose ``tables`` hold the model
information, the parameter table and the diagnostics, printed by ``str()`` and exported with
``as_text()`` / ``as_html()`` / ``as_latex()``. :class:`Summary` offers the same with pandas
frames as tables, so the parts can be read as data (``summary.params.loc["L1.n", "P>|z|"]``)
instead of being parsed out of printed text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

WIDTH = 78


@dataclass(frozen=True)
class Summary:
    """Tables describing one fit.

    Attributes
    ----------
    title : str
    info : pandas.DataFrame
        Model information, one row per item, columns ``item`` and ``value`` (text).
    params : pandas.DataFrame
        One row per term: ``Coef.``, ``Std. Err.``, ``z``, ``P>|z|``, ``[95% Conf.``, ``Int.]``.
    tests : pandas.DataFrame
        Specification tests, one row per test (index: the test's name): ``distribution``
        (``chi2`` or ``z``), ``statistic``, ``df`` (NaN for z tests), ``p-value``, ``note``.
    extra_txt : list of str
        Lines printed under the tables (covariance, instruments, warnings).
    """

    title: str
    info: pd.DataFrame
    params: pd.DataFrame
    tests: pd.DataFrame
    extra_txt: list[str] = field(default_factory=list)

    @property
    def tables(self) -> list[pd.DataFrame]:
        """``[info, params, tests]``, as linearmodels' ``Summary.tables``."""
        return [self.info, self.params, self.tests]

    # ---- text --------------------------------------------------------------------------------
    def as_text(self) -> str:
        lines = [self.title.center(WIDTH), "=" * WIDTH]
        pairs = list(zip(self.info["item"], self.info["value"], strict=True))
        for left, right in zip(pairs[0::2], pairs[1::2] + [None] * (len(pairs) % 2), strict=True):
            text = f"{left[0] + ':':<18}{left[1]:>20}"
            if right is not None:
                text += f"   {right[0] + ':':<22}{right[1]:>15}"
            lines.append(text)
        lines += ["=" * WIDTH, _params_header(), "-" * WIDTH]
        for name, row in self.params.iterrows():
            lines.append(
                f"{str(name)[:14]:<14}{row['Coef.']:>11.6f}{row['Std. Err.']:>11.6f}"
                f"{row['z']:>9.3f}{row['P>|z|']:>8.3f}"
                f"{row['[95% Conf.']:>12.6f}{row['Int.]']:>11.6f}"
            )
        lines.append("=" * WIDTH)
        for name, row in self.tests.iterrows():
            lines.append(_test_line(str(name), row))
        lines += self.extra_txt
        return "\n".join(lines)

    def as_html(self) -> str:
        parts = [f"<h4>{_html_escape(self.title)}</h4>"]
        parts += [
            self.info.to_html(index=False, header=False),
            self.params.to_html(float_format=lambda x: f"{x:.6f}"),
            self.tests.to_html(float_format=lambda x: f"{x:.3f}"),
        ]
        parts += [f"<p>{_html_escape(line)}</p>" for line in self.extra_txt]
        return "\n".join(parts)

    def as_latex(self) -> str:
        parts = [
            self.info.to_latex(index=False, header=False),
            self.params.to_latex(float_format="%.6f"),
            self.tests.to_latex(float_format="%.3f", na_rep=""),
        ]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.as_html()

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()


def _params_header() -> str:
    return (
        f"{'':<14}{'Coef.':>11}{'Std. Err.':>11}{'z':>9}{'P>|z|':>8}{'[95% Conf.':>12}{'Int.]':>11}"
    )


def _test_line(name: str, row: pd.Series) -> str:
    note = f"  ({row['note']})" if row["note"] else ""
    if row["distribution"] == "chi2":
        df = "." if pd.isna(row["df"]) else int(row["df"])
        return (
            f"{name}: chi2({df}) = {row['statistic']:.3f}  Prob > chi2 = {row['p-value']:.3f}{note}"
        )
    return f"{name}: z = {row['statistic']:6.2f}  Pr > z = {row['p-value']:.3f}{note}"


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def info_frame(pairs: Sequence[tuple[str, object]]) -> pd.DataFrame:
    """The ``info`` table from ``(item, value)`` pairs (values shown as text)."""
    return pd.DataFrame({"item": [p[0] for p in pairs], "value": [str(p[1]) for p in pairs]})


def tests_frame(rows: Sequence[tuple[str, str, float, float, float, str]]) -> pd.DataFrame:
    """The ``tests`` table from ``(name, distribution, statistic, df, p, note)`` rows."""
    frame = pd.DataFrame(
        [r[1:] for r in rows],
        index=pd.Index([r[0] for r in rows], name="test"),
        columns=["distribution", "statistic", "df", "p-value", "note"],
    )
    return frame.astype({"statistic": float, "df": float, "p-value": float})

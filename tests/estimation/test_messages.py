"""Notes and failure reasons the estimation writes end up under an economist's table
(``results.models.warnings``, ``agglo tables``): they name Stata/xtabond2 options and variables, not
Python keyword arguments or list reprs (issue 16, item 9)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from estimation.gmm import DynamicPanelGMM, InstrumentCountWarning

# `collapse=True`, `lags=1`, `missing='drop'`, `['w', 'k']`: a programmer's spelling
PYTHON_SPELLING = re.compile(r"\b\w+=(True|False|None|\d|')|\['")


def panel(n_entities: int, n_periods: int, seed: int = 7) -> pd.DataFrame:
    """A small dynamic panel (y on its lag and x) indexed by (entity, year)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_entities):
        y, alpha = 0.0, rng.normal()
        for t in range(n_periods):
            x = rng.normal()
            y = 0.5 * y + 0.3 * x + alpha + rng.normal(scale=0.5)
            rows.append({"id": i, "year": 2000 + t, "y": y, "x": x})
    return pd.DataFrame(rows).set_index(["id", "year"])


def fit_message(data: pd.DataFrame, **spec) -> str:
    """The reason a fit fails (ValueError), or the notes it carries when it does not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InstrumentCountWarning)
        try:
            res = DynamicPanelGMM(data, dependent="y", lags=1, **spec).fit()
        except ValueError as exc:
            return str(exc)
    return " ".join(res.warnings)


def test_too_many_instruments_speaks_xtabond2():
    text = fit_message(panel(12, 9), exog=["x"], gmm_instruments={"y": (2, None), "x": (1, None)})
    assert "instruments exceed the 12 groups" in text
    assert "collapse the instrument matrix, as xtabond2's `collapse` option does" in text
    assert "collapse=True" not in text


@pytest.mark.parametrize(
    ("case", "build", "spec", "expected"),
    [
        ("few periods", lambda: panel(12, 2), {"exog": ["x"]}, "Too few periods"),
        ("one group", lambda: panel(1, 9), {"exog": ["x"]}, "Too few groups"),
        (
            "collinear",
            lambda: panel(12, 9).assign(x2=lambda d: 2 * d["x"]),
            {"exog": ["x", "x2"], "iv_instruments": ["x", "x2"]},
            "collinear",
        ),
        (
            "zero regressor",
            lambda: panel(12, 9).assign(z=0.0),
            {"exog": ["x", "z"], "iv_instruments": ["x", "z"]},
            "zero in the estimation sample",
        ),
        (
            "too many instruments",
            lambda: panel(12, 9),
            {"exog": ["x"], "gmm_instruments": {"y": (2, None), "x": (1, None)}},
            "instruments exceed",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_messages_under_a_table_have_no_python_spelling(case, build, spec, expected):
    spec = {"gmm_instruments": {"y": (2, 3)}, **spec}
    text = fit_message(build(), **spec)
    assert expected in text, text
    assert not PYTHON_SPELLING.search(text), f"{case}: {text}"


def test_too_many_collapsed_instruments_in_one_step_name_the_remedy_left():
    """Collapsed already and one-step (the regional columns): no advice to collapse, no word of a
    two-step weight matrix the fit does not use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InstrumentCountWarning)
        res = DynamicPanelGMM(
            panel(6, 9),
            dependent="y",
            lags=1,
            exog=["x"],
            gmm_instruments={"y": (2, None), "x": (1, None)},
            collapse=True,
        ).fit(iter_limit=1)
    (text,) = [w for w in res.warnings if "instruments exceed the 6 groups" in w]
    assert "already collapsed" in text and "laglimits" in text
    assert "collapse the instrument matrix" not in text
    assert "two-step" not in text

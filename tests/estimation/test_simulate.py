"""Tests for estimation.simulate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estimation.simulate import knock_out, simulate_dynamic_panel


def test_shape_index_and_truth():
    df = simulate_dynamic_panel(50, 6, rho=0.3, beta=[1.0, -0.5], seed=1)
    assert isinstance(df.index, pd.MultiIndex)
    assert df.index.names == ["unit", "year"]
    assert list(df.columns) == ["y", "x1", "x2"]
    assert len(df) == 50 * 6
    assert df.index.get_level_values("year").min() == 2000
    assert df.attrs["true_params"] == {"L1.y": 0.3, "x1": 1.0, "x2": -0.5}
    assert np.isfinite(df.to_numpy()).all()
    single = simulate_dynamic_panel(5, 4, seed=1)
    assert list(single.columns) == ["y", "x"]


def test_reproducible_by_seed():
    a = simulate_dynamic_panel(20, 5, seed=42, unbalanced=0.5, gaps=0.5)
    b = simulate_dynamic_panel(20, 5, seed=42, unbalanced=0.5, gaps=0.5)
    c = simulate_dynamic_panel(20, 5, seed=43, unbalanced=0.5, gaps=0.5)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_unbalanced_and_gaps():
    df = simulate_dynamic_panel(400, 8, seed=3, unbalanced=0.5, gaps=0.5)
    counts = df.groupby(level="unit").size()
    assert counts.max() == 8 and counts.min() < 8
    years = df.reset_index().groupby("unit")["year"]
    span = years.max() - years.min() + 1
    assert (span > counts).any()  # some units have an interior gap


def test_mean_stationarity():
    """E[Δy | μ] = E[Δx | μ] = 0 (the system-GMM condition) while levels load on μ."""
    df, mu = simulate_dynamic_panel(
        4000, 6, rho=0.6, beta=1.0, seed=11, sigma_mu=1.0, return_effects=True
    )
    y = df["y"].unstack().to_numpy()
    x = df["x"].unstack().to_numpy()
    m = mu.to_numpy()
    for t in range(1, y.shape[1]):
        assert abs(np.corrcoef(y[:, t] - y[:, t - 1], m)[0, 1]) < 0.06
        assert abs(np.corrcoef(x[:, t] - x[:, t - 1], m)[0, 1]) < 0.06
    assert np.corrcoef(y[:, 0], m)[0, 1] > 0.5
    assert np.corrcoef(x[:, 0], m)[0, 1] > 0.3
    # covariance-stationary after the burn-in: the variance of y is stable over time
    v = y.var(axis=0)
    assert v.max() / v.min() < 1.15


def test_bad_arguments():
    with pytest.raises(ValueError, match="rho"):
        simulate_dynamic_panel(10, 5, rho=1.0)
    with pytest.raises(ValueError, match="shares"):
        simulate_dynamic_panel(10, 5, unbalanced=1.5)


def test_knock_out_writes_the_marts_null_reason_codes(simulate_panel):
    """Codes as the mart writes them: snake_case ``<variable>_not_positive``, several joined by
    "; " in the order they arose."""
    panel = simulate_panel(0, industries=("T",))
    panel = knock_out(knock_out(panel, "tech", 30, seed=1), "know", 100, seed=2)
    assert (
        panel["ln_tech"].isna().sum() == 30
        and (panel.loc[panel["ln_tech"].isna(), "tech"] == 0).all()
    )
    codes = {code for reason in panel["null_reason"].dropna() for code in reason.split("; ")}
    assert codes == {"tech_not_positive", "know_not_positive"}
    both = panel["ln_tech"].isna() & panel["ln_know"].isna()
    assert both.sum() > 0
    assert (panel.loc[both, "null_reason"] == "tech_not_positive; know_not_positive").all()
    assert (
        panel.loc[panel["ln_tech"].notna() & panel["ln_know"].notna(), "null_reason"].isna().all()
    )
    with pytest.raises(ValueError, match="unknown variable 'ln_tech'"):
        knock_out(panel, "ln_tech", 1)

"""The agreement to expect under the demo's design (agglo.report.expected): the stored expectation
is what the current model, spec and scoring give, and it is rendered beside the observed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agglo.demo import draws
from agglo.report import expected
from estimation.published import load_published
from estimation.spec import load_spec

STALE = f"raw/demo/_truth/expected_agreement*.csv are stale: run `{expected.COMMAND}`"


@pytest.fixture(scope="module")
def stored() -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = expected.truth_dir()
    per_draw = pd.read_csv(folder / expected.DRAWS_FILE, dtype={"table": str})
    return per_draw, expected.load(folder)


def test_summary_is_the_aggregate_of_the_stored_draws(stored):
    per_draw, summary = stored
    again = expected.summarise_draws(per_draw)
    assert list(again["table"]) == list(summary["table"])
    numeric = [c for c in summary.columns if c != "table"]
    # the file prints 4 decimals (expected.write), so half a unit in the 4th decimal
    assert np.allclose(again[numeric].to_numpy(float), summary[numeric].to_numpy(float), atol=5e-5)
    assert summary["draws"].min() >= 30, "too few draws for a mean share to be useful"


def test_a_stored_draw_is_reproduced_by_the_current_model_spec_and_scoring(stored):
    """Re-estimate the first stored draw: the same counts per table. Counts are integers, so any
    change to the generator, the spec's estimators or the scoring (e.g. which terms are compared)
    shows as a difference; then the stored expectation is stale."""
    per_draw, _ = stored
    seed = int(per_draw["seed"].min())
    again = expected.score_draws(
        draws.estimate_draws([seed]), load_published(), load_spec().table_numbers
    )
    want = per_draw[per_draw["seed"] == seed].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, want, check_dtype=False, obj=STALE)


def test_with_expected_puts_the_expectation_beside_the_observed():
    summary = pd.DataFrame({"table": ["1", "2", "all"], "compared": [3, 4, 7]})
    stored = pd.DataFrame(
        {
            "table": ["1", "all"],
            "draws": [40, 40],
            "compared": [3, 7],
            "expected_same_sign": [0.9, 0.8],
            "sd_same_sign": [0.05, 0.04],
            "expected_same_stars": [0.4, 0.3],
            "sd_same_stars": [0.1, 0.08],
            "first_seed": [1, 1],
        }
    )
    merged = expected.with_expected(summary, stored).set_index("table")
    assert merged.loc["1", "expected_same_sign"] == 0.9
    assert merged.loc["all", "sd_same_stars"] == 0.08
    assert np.isnan(merged.loc["2", "expected_same_sign"])
    assert (merged["expected_draws"] == [40, 0, 40]).all()
    none = expected.with_expected(summary, None)
    assert (none["expected_draws"] == 0).all() and none["expected_same_sign"].isna().all()

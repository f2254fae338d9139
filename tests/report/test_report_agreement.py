"""Agreement marks (same sign / same significance / difference) on hand-made cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from agglo.report import agreement as ag


def test_same_sign_same_stars_agrees():
    a = ag.compare(1.822, 2, "1.950", 2)
    assert a.status == ag.AGREE
    assert a.same_sign and a.same_stars
    assert a.difference == pytest.approx(1.822 - 1.950)
    assert a.mark() == "sign ✓ · stars ✓"
    assert a.difference_text() == "Δ -0.128"


def test_different_sign():
    a = ag.compare(-0.5, 1, "0.359", 1)
    assert a.status == ag.SIGN_DIFFERS
    assert a.same_sign is False and a.same_stars is True
    assert a.mark().startswith("sign ✗")
    assert a.difference == pytest.approx(-0.859)


def test_significance_change():
    a = ag.compare(0.8, 1, "0.359", 2)
    assert a.status == ag.STARS_DIFFER
    assert a.same_sign and not a.same_stars
    assert a.mark() == "sign ✓ · stars * vs **"
    b = ag.compare(0.8, 3, "0.359", pd.NA)  # printed without stars = not significant
    assert b.status == ag.STARS_DIFFER
    assert b.mark() == "sign ✓ · stars *** vs none"
    c = ag.compare(0.8, 0, "0.359", None)
    assert c.status == ag.AGREE


@pytest.mark.parametrize("missing", [None, "", "  ", float("nan"), pd.NA])
def test_missing_published_value(missing):
    a = ag.compare(1.0, 2, missing, 2)
    assert a.status == ag.NO_PUBLISHED
    assert not a.compared
    assert a.same_sign is None and a.difference is None
    assert a.mark() == "no published value"


def test_missing_estimate():
    a = ag.compare(float("nan"), None, "1.2", 1)
    assert a.status == ag.NOT_ESTIMATED
    assert a.mark() == "not estimated"


def test_printed_zero_and_negative_zero():
    assert ag.printed_sign("-0.00") == -1
    assert ag.printed_sign("0.000") == 0
    assert ag.printed_sign("2.5") == 1
    assert ag.compare(-0.001, 0, "-0.00", 0).same_sign
    assert not ag.compare(0.001, 0, "-0.00", 0).same_sign
    assert ag.compare(0.0004, 0, "0.000", 0).same_sign  # rounds to the printed zero
    assert not ag.compare(0.01, 0, "0.000", 0).same_sign


def test_agreement_frame_and_summary():
    estimates = pd.DataFrame(
        {
            "table": [1, 1, 1, 1, 2],
            "column_id": ["c", "c", "c", "c", "d"],
            "term": ["a", "b", "x", "d", "a"],
            "reported": [True, True, True, False, True],
            "coef": [1.0, -1.0, 0.5, 9.0, 2.0],
            "stars": [2, 1, 0, 0, 3],
        }
    )
    published = pd.DataFrame(
        {
            "table": [1, 1, 1, 1, 2],
            "column_id": ["c", "c", "c", "c", "d"],
            "term": ["a", "b", "y", "nobs", "a"],
            "coef": ["0.9", "1.1", "0.2", "310", "2.1"],
            "stars": pd.array([2, 1, 0, None, 2], dtype="Int64"),
        }
    )
    frame = ag.agreement_frame(estimates, published).set_index(["table", "column_id", "term"])
    assert frame.loc[(1, "c", "a"), "status"] == ag.AGREE
    assert frame.loc[(1, "c", "b"), "status"] == ag.SIGN_DIFFERS
    assert frame.loc[(1, "c", "x"), "status"] == ag.NO_PUBLISHED  # ours only
    assert frame.loc[(1, "c", "y"), "status"] == ag.NOT_ESTIMATED  # paper only
    assert frame.loc[(2, "d", "a"), "status"] == ag.STARS_DIFFER
    assert (1, "c", "nobs") not in frame.index  # diagnostics are not coefficients
    assert (1, "c", "d") not in frame.index  # not the reported equation

    summary = ag.summarise(frame.reset_index(), [1, 2]).set_index("table")
    assert summary.loc["1", "compared"] == 2
    assert summary.loc["1", "share_same_sign"] == pytest.approx(0.5)
    assert summary.loc["1", "share_same_stars"] == pytest.approx(1.0)
    assert summary.loc["1", "not_estimated"] == 1 and summary.loc["1", "no_published"] == 1
    assert summary.loc["2", "share_same_stars"] == 0
    assert summary.loc["all", "compared"] == 3
    assert summary.loc["all", "share_same_sign"] == pytest.approx(2 / 3)


def test_constant_is_shown_but_never_scored():
    """A constant that disagrees in sign and stars changes neither the count nor the shares."""
    estimates = pd.DataFrame(
        {
            "table": [5, 5],
            "column_id": ["fe_T_east", "fe_T_east"],
            "term": ["ln_vocal", "const"],
            "reported": [True, True],
            "coef": [0.4, -3.0],
            "stars": [2, 0],
        }
    )
    published = pd.DataFrame(
        {
            "table": [5, 5],
            "column_id": ["fe_T_east", "fe_T_east"],
            "term": ["ln_vocal", "const"],
            "coef": ["0.350", "2.118"],
            "stars": pd.array([2, 3], dtype="Int64"),
        }
    )
    frame = ag.agreement_frame(estimates, published).set_index(["column_id", "term"])
    const = frame.loc[("fe_T_east", "const")]
    assert const["status"] == ag.NOT_SCORED
    assert const["mark"] == "not scored (constant)"
    assert const["difference"] == pytest.approx(-3.0 - 2.118)  # still shown beside the paper's
    summary = ag.summarise(frame.reset_index(), [5]).set_index("table")
    assert summary.loc["5", "compared"] == 1
    assert summary.loc["5", "share_same_sign"] == 1.0
    assert summary.loc["5", "share_same_stars"] == 1.0


def test_summary_of_nothing_compared():
    frame = pd.DataFrame(columns=["table", "status", "same_sign", "same_stars"])
    row = ag.summarise(frame, [3]).iloc[0]
    assert row["compared"] == 0 and row["share_same_sign"] is None


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0.01, True), (0.0499, True), (0.05, False), (0.6, False), (None, False), (math.nan, False)],
)
def test_rejects(p, expected):
    assert ag.rejects(p) is expected

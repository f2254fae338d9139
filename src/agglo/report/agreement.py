"""Does our estimate agree with the published one? Pure functions, no I/O.

A coefficient is compared with the paper's printed value on two counts:

* **sign**: the signs are the same. The paper prints rounded numbers, so a printed zero
  (``0.000``) agrees with any estimate that rounds to zero at the printed precision, and a printed
  ``-0.00`` counts as negative.
* **significance**: the same number of stars (* p < 0.10, ** p < 0.05, *** p < 0.01; a printed
  value without stars has none).

The difference is ours minus published. A cell the paper leaves blank is ``no_published``; a cell
we have no estimate for is ``not_estimated``; neither counts in the shares of a table's summary.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

AGREE = "agree"  # same sign, same stars
STARS_DIFFER = "stars_differ"  # same sign, different significance
SIGN_DIFFERS = "sign_differs"
NO_PUBLISHED = "no_published"
NOT_ESTIMATED = "not_estimated"
NOT_SCORED = "not_scored"  # shown, never counted: the constant

#: Terms shown beside the paper's value but never scored (see the module docstring).
UNSCORED_TERMS = frozenset({"const"})

#: Published rows that are diagnostics, not coefficients.
DIAGNOSTIC_TERMS = frozenset({"ar1", "ar2", "sargan", "hansen", "hausman", "adj_r2", "nobs"})
#: p below which a specification test counts as rejecting.
ALPHA = 0.05


def _missing(x: Any) -> bool:
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _stars(n: Any) -> int:
    return 0 if _missing(n) else int(n)


def printed_sign(value: Any) -> int:
    """Sign of a printed number: ``"-0.00"`` is -1, ``"0.000"`` is 0, ``"1.2"`` is 1."""
    text = str(value).strip()
    number = float(text)
    if number == 0:
        return -1 if text.startswith("-") else 0
    return 1 if number > 0 else -1


def printed_decimals(value: Any) -> int:
    text = str(value).strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


@dataclass(frozen=True)
class Agreement:
    status: str
    same_sign: bool | None = None
    same_stars: bool | None = None
    difference: float | None = None
    our_stars: int | None = None
    published_stars: int | None = None

    @property
    def compared(self) -> bool:
        return self.status in (AGREE, STARS_DIFFER, SIGN_DIFFERS)

    def mark(self) -> str:
        """Short text: ``sign ✓ · stars ✓``, ``sign ✓ · stars ** vs *``, or why not compared."""
        if self.status == NO_PUBLISHED:
            return "no published value"
        if self.status == NOT_ESTIMATED:
            return "not estimated"
        if self.status == NOT_SCORED:
            return "not scored (constant)"
        sign = "sign ✓" if self.same_sign else "sign ✗"
        if self.same_stars:
            stars = "stars ✓"
        else:
            ours = "*" * (self.our_stars or 0) or "none"
            paper = "*" * (self.published_stars or 0) or "none"
            stars = f"stars {ours} vs {paper}"
        return f"{sign} · {stars}"

    def difference_text(self) -> str:
        return "" if self.difference is None else f"Δ {self.difference:+.3f}"


def compare(
    our_coef: Any, our_stars: Any, published_coef: Any, published_stars: Any, *, scored: bool = True
) -> Agreement:
    """Agreement of one coefficient with its published value (a printed string or a number).

    ``scored=False`` (the constant): the difference is kept, sign and stars are not judged.
    """
    if _missing(published_coef):
        return Agreement(NO_PUBLISHED)
    if _missing(our_coef) or (isinstance(our_coef, float) and math.isnan(our_coef)):
        return Agreement(NOT_ESTIMATED, published_stars=_stars(published_stars))
    ours = float(our_coef)
    if not scored:
        return Agreement(
            NOT_SCORED,
            difference=ours - float(published_coef),
            our_stars=_stars(our_stars),
            published_stars=_stars(published_stars),
        )
    sign = printed_sign(published_coef)
    if sign == 0:
        same_sign = round(ours, printed_decimals(published_coef)) == 0
    else:
        same_sign = (ours > 0 and sign > 0) or (ours < 0 and sign < 0)
    same_stars = _stars(our_stars) == _stars(published_stars)
    status = AGREE if same_sign and same_stars else STARS_DIFFER if same_sign else SIGN_DIFFERS
    return Agreement(
        status=status,
        same_sign=same_sign,
        same_stars=same_stars,
        difference=ours - float(published_coef),
        our_stars=_stars(our_stars),
        published_stars=_stars(published_stars),
    )


KEYS = ["table", "column_id", "term"]


def agreement_frame(estimates: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """One row per reported coefficient, ours or published: both values and the agreement.

    ``estimates``: the tidy results (``table, column_id, term, reported, coef, stars``);
    ``published``: :func:`estimation.published.load_published`.
    """
    ours = estimates[estimates["reported"].astype(bool)][[*KEYS, "coef", "stars"]]
    ours = ours.rename(columns={"coef": "our_coef", "stars": "our_stars"})
    pub = published[~published["term"].isin(DIAGNOSTIC_TERMS)][[*KEYS, "coef", "stars"]]
    pub = pub.rename(columns={"coef": "published_coef", "stars": "published_stars"})
    both = ours.merge(pub, on=KEYS, how="outer").astype({"table": int})
    results = [
        compare(
            r.our_coef,
            r.our_stars,
            r.published_coef,
            r.published_stars,
            scored=r.term not in UNSCORED_TERMS,
        )
        for r in both.itertuples()
    ]
    both["status"] = [a.status for a in results]
    both["same_sign"] = [a.same_sign for a in results]
    both["same_stars"] = [a.same_stars for a in results]
    both["difference"] = [a.difference for a in results]
    both["mark"] = [a.mark() for a in results]
    both["difference_text"] = [a.difference_text() for a in results]
    return both.sort_values(KEYS, ignore_index=True)


def summarise(frame: pd.DataFrame, tables: Iterable[int] | None = None) -> pd.DataFrame:
    """Per table (and ``all``): coefficients compared, and the share with the same sign / stars.

    Constants (``not_scored``) are in neither the count nor the shares."""
    rows = []
    numbers = list(tables) if tables is not None else sorted(frame["table"].unique())
    for label, part in [(str(n), frame[frame["table"] == n]) for n in numbers] + [("all", frame)]:
        compared = part[part["status"].isin([AGREE, STARS_DIFFER, SIGN_DIFFERS])]
        n = len(compared)
        same_sign = int(compared["same_sign"].astype(bool).sum()) if n else 0
        same_stars = int(compared["same_stars"].astype(bool).sum()) if n else 0
        rows.append(
            {
                "table": label,
                "compared": n,
                "same_sign": same_sign,
                "same_stars": same_stars,
                "share_same_sign": same_sign / n if n else None,
                "share_same_stars": same_stars / n if n else None,
                "not_estimated": int((part["status"] == NOT_ESTIMATED).sum()),
                "no_published": int((part["status"] == NO_PUBLISHED).sum()),
            }
        )
    return pd.DataFrame(rows)


def rejects(p: Any, alpha: float = ALPHA) -> bool:
    """A specification test rejects its null (AR(2): no second-order autocorrelation;
    Sargan/Hansen: instruments valid) when p < alpha. A missing p never rejects."""
    return not _missing(p) and float(p) < alpha

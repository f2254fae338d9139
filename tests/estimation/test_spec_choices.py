"""The spec's ``choices:``: every quote stands at its cited lines of the paper, every choice
concerns some fit, the claims that are spec settings agree with the spec, and bad entries are
refused with a message saying where."""

from __future__ import annotations

import copy

import pytest
import yaml

from agglo.paths import shared_dir
from estimation.errors import SpecError
from estimation.spec import DEFAULT_SPEC, load_spec, parse_spec

PAPER = shared_dir() / "paper" / "zhang-agglomeration-innovation.txt"

#: The choices issue 15 (item 5) asks the reader to be told about, and those of items 1–4.
REQUIRED = {
    "3sls_instruments",
    "3sls_pooled",
    "size_and_dim",
    "above_scale_threshold_2011",
    "infr_per_person",
    "industry_specific_variables",
    "pgdp_nominal",
    "logged_moderators_drop_zeros",
    "fe_no_year_effects",
    "gmm_interaction_instruments",
    "few_cluster_inference",
    "centring_full_panel",
    "constants_not_scored",
}


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def paper_lines() -> list[str]:
    if not PAPER.is_file():
        pytest.fail(f"the paper's text is missing: {PAPER} (../shared/paper)", pytrace=False)
    return PAPER.read_text(encoding="utf-8").splitlines()


def quoted_span(lines: list[str], first: int, last: int, quote: str) -> tuple[int, int, int, int]:
    """Where ``quote`` lies in lines ``first``–``last`` (1-based) joined without their line breaks.

    The text file breaks the paper's lines mid-sentence and puts a blank line between them, so the
    lines are stripped and joined with nothing. Returns (start, end) of the quote and the lengths
    of the first and last lines in the joined text.
    """
    parts = [line.strip() for line in lines[first - 1 : last]]
    joined = "".join(parts)
    start = joined.find(quote)
    return start, start + len(quote), len(parts[0]), len(joined) - len(parts[-1])


def test_the_issues_choices_are_listed(spec):
    assert {c.id for c in spec.choices} >= REQUIRED


def test_every_quote_stands_at_its_cited_lines(spec, paper_lines):
    """A quote begins on its first cited line and ends on its last: the line numbers are exact."""
    problems = []
    for choice in spec.choices:
        for q in choice.paper:
            if q.last_line > len(paper_lines):
                problems.append(f"{choice.id}: {q.lines} is past the end of the paper")
                continue
            start, end, first_len, last_start = quoted_span(
                paper_lines, q.first_line, q.last_line, q.quote
            )
            if start < 0:
                problems.append(f"{choice.id}: {q.quote!r} is not on {q.lines}")
            elif start >= first_len or end <= last_start:
                problems.append(f"{choice.id}: {q.quote!r} does not start and end on {q.lines}")
    assert not problems, "\n".join(problems)


def test_the_quote_check_catches_a_wrong_line(paper_lines):
    """The check above is not vacuous: the 3SLS sentence is on 318–320, not on 320 alone."""
    quote = "本文将模型内所有的外生控制变量作为两个内生变量的 IV"
    start, end, first_len, last_start = quoted_span(paper_lines, 318, 320, quote)
    assert 0 <= start < first_len and end > last_start
    assert quoted_span(paper_lines, 320, 320, quote)[0] == -1
    start, end, first_len, _ = quoted_span(paper_lines, 316, 320, quote)
    assert start >= first_len  # found, but not starting on line 316


def test_every_choice_concerns_some_fit(spec):
    columns = spec.columns()
    for choice in spec.choices:
        assert any(choice.applies_to(c) for c in columns), choice.id
        assert choice.ours and choice.why and choice.paper


def test_choices_agree_with_the_spec_settings(spec):
    """The notes that restate a setting of the spec say what the spec does."""
    by_id = {c.id: c for c in spec.choices}
    three_sls = [c for c in spec.columns() if c.estimator == "3sls"]
    assert {c.table for c in three_sls} == set(by_id["3sls_instruments"].tables)
    for c in three_sls:  # every exogenous variable instruments both equations, no effects
        assert {"ln_infr", "ln_educ"} <= set(c.exogenous) and c.effects == "none"
        assert by_id["3sls_pooled"].applies_to(c)
    fe = [c for c in spec.columns() if c.estimator == "fe"]
    assert {c.table for c in fe} == set(by_id["fe_no_year_effects"].tables)
    assert all(c.effects == "entity" and not c.time_effects for c in fe)
    mechanism = [c for c in spec.columns() if c.interactions]
    assert {c.table for c in mechanism} == set(by_id["logged_moderators_drop_zeros"].tables)
    assert {c.centring.moderator_scale for c in mechanism} == {"log"}


def test_choices_for_a_column(spec):
    fe_east = spec.column(5, "fe_T_east")
    ids = [c.id for c in spec.choices_for(fe_east)]
    assert {"fe_no_year_effects", "few_cluster_inference", "centring_full_panel"} <= set(ids)
    assert "3sls_instruments" not in ids and "regional_gmm_one_step" not in ids
    assert "regional_gmm_one_step" in [
        c.id for c in spec.choices_for(spec.column(3, "sys_gmm_T_west"))
    ]


def test_choices_do_not_change_the_spec_hash(raw, spec):
    reworded = copy.deepcopy(raw)
    reworded["choices"][0]["why"] = "another reason"
    assert parse_spec(reworded).hash == spec.hash
    assert parse_spec({k: v for k, v in raw.items() if k != "choices"}).choices == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(colour="red"), "unknown key(s) ['colour']"),
        (lambda c: c.update(id="Bad Id"), "lower_snake_case"),
        (lambda c: c["applies_to"].update(tables=[9]), "[9] not defined by the spec"),
        (lambda c: c["applies_to"].update(regions=["north"]), "['north'] not defined"),
        (lambda c: c["applies_to"].update(variables=["ln_gdp"]), "['ln_gdp'] not defined"),
        (lambda c: c["paper"][0].update(line=[320, 318]), "first < last"),
        (lambda c: c["paper"][0].update(line=0), "line number ≥ 1"),
        (lambda c: c["paper"][0].pop("quote"), "{line: N or [first, last], quote: text}"),
        (lambda c: c.update(ours=" "), "ours: expected a non-empty text"),
        (lambda c: c.update(paper=[]), "non-empty list of {line, quote}"),
    ],
)
def test_bad_choices_are_refused_saying_where(raw, change, message):
    broken = copy.deepcopy(raw)
    change(broken["choices"][0])
    with pytest.raises(SpecError) as info:
        parse_spec(broken, path="paper.yml")
    assert message in str(info.value)
    assert "paper.yml: choices[0]" in str(info.value)


def test_repeated_choice_ids_are_refused(raw):
    broken = copy.deepcopy(raw)
    broken["choices"].append(copy.deepcopy(broken["choices"][0]))
    with pytest.raises(SpecError, match="choice ids repeat: \\['3sls_instruments'\\]"):
        parse_spec(broken)

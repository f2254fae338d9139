"""Specification choices: what the paper says, what we do and why, as data (``choices:`` of a spec).

Each entry of a spec file's ``choices:`` list is one decision a reader of the tables needs to know
(which instruments, what a variable really measures, which rows a fit drops, …)::

    - id: size_and_dim
      topic: size and dim are the same ratio
      applies_to: {tables: [1, 2, 3, 4, 5, 6, 7, 8], variables: [ln_size, ln_dim]}
      paper:
        - {line: 356, quote: 采用高技术产业企业数量与地区总企业数量之比测度}
        - {line: [318, 320], quote: …}     # a quote running over lines 318–320
      ours: what the spec and the marts do
      why: the reason

``paper`` quotes the paper verbatim (Chinese) with the line(s) of ``../shared/paper/
zhang-agglomeration-innovation.txt`` it stands on (tests/estimation/test_spec_choices.py checks
every quote against the text); ``applies_to`` narrows by ``tables``, ``estimators``,
``industries`` and ``regions`` (each optional: absent means all) and names the ``variables``
concerned. The report's "Specification choices" section, the notes under ``agglo tables`` and
``results.spec_choices`` are all rendered from these rows, so they cannot disagree with the spec.

This module validates plain values handed over by :mod:`estimation.spec` (it imports nothing
from it, so the two stay free of import cycles).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from estimation.errors import SpecError

#: The keys of ``applies_to`` that select columns; ``variables`` only names what a choice concerns.
SELECTORS = ("tables", "estimators", "industries", "regions")


class _ColumnLike(Protocol):
    table: int
    estimator: str
    sample_industry: str
    sample_region: str


@dataclass(frozen=True)
class PaperQuote:
    """A verbatim quote of the paper on lines ``first_line``–``last_line`` (blank lines skipped)."""

    first_line: int
    last_line: int
    quote: str

    @property
    def lines(self) -> str:
        """``L356`` or ``L318–320``."""
        if self.first_line == self.last_line:
            return f"L{self.first_line}"
        return f"L{self.first_line}–{self.last_line}"

    def text(self) -> str:
        return f"{self.lines}: 「{self.quote}」"


@dataclass(frozen=True)
class Choice:
    """One specification choice. A selector that is None applies to every value."""

    id: str
    topic: str
    paper: tuple[PaperQuote, ...]
    ours: str
    why: str
    tables: tuple[int, ...]
    estimators: tuple[str, ...] | None = None
    industries: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None
    variables: tuple[str, ...] = ()

    def applies_to(self, column: _ColumnLike) -> bool:
        """Whether the choice concerns this fit (a :class:`estimation.spec.Column`)."""
        return (
            column.table in self.tables
            and (self.estimators is None or column.estimator in self.estimators)
            and (self.industries is None or column.sample_industry in self.industries)
            and (self.regions is None or column.sample_region in self.regions)
        )

    def paper_text(self) -> str:
        return " ".join(q.text() for q in self.paper)

    def record(self) -> dict[str, Any]:
        """The row of ``results.spec_choices`` (lists as lists, a missing selector as None)."""
        return {
            "choice_id": self.id,
            "topic": self.topic,
            "paper_lines": [q.lines for q in self.paper],
            "paper_quotes": [q.quote for q in self.paper],
            "ours": self.ours,
            "why": self.why,
            "tables": list(self.tables),
            "estimators": None if self.estimators is None else list(self.estimators),
            "industries": None if self.industries is None else list(self.industries),
            "regions": None if self.regions is None else list(self.regions),
            "variables": list(self.variables),
        }


def parse_choices(
    raw: Any,
    *,
    tables: Iterable[int],
    estimators: Iterable[str],
    industries: Iterable[str],
    regions: Iterable[str],
    variables: Iterable[str],
    where: str,
) -> tuple[Choice, ...]:
    """Validate ``choices:`` against what the spec defines (its tables, estimators, variables…)."""
    if raw is None:
        return ()
    where = f"{where}: choices"
    if not isinstance(raw, list):
        raise SpecError(f"{where}: expected a list of choices (id, topic, paper, ours, why)")
    known = {
        "tables": tuple(tables),
        "estimators": tuple(estimators),
        "industries": tuple(industries),
        "regions": tuple(regions),
        "variables": tuple(variables),
    }
    out = [_parse_choice(entry, f"{where}[{i}]", known) for i, entry in enumerate(raw)]
    ids = [c.id for c in out]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise SpecError(f"{where}: choice ids repeat: {repeated}")
    return tuple(out)


def _parse_choice(raw: Any, where: str, known: Mapping[str, tuple]) -> Choice:
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: expected a mapping with id, topic, applies_to, paper, ours, why")
    allowed = {"id", "topic", "applies_to", "paper", "ours", "why"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {unknown}; known: {sorted(allowed)}")
    choice_id = raw.get("id")
    if not isinstance(choice_id, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_]*", choice_id):
        raise SpecError(f"{where}.id: expected a lower_snake_case id, got {choice_id!r}")
    where = f"{where} ({choice_id})"
    text = {key: _text(raw, key, where) for key in ("topic", "ours", "why")}
    paper = _parse_quotes(raw.get("paper"), f"{where}.paper")
    scope = _parse_scope(raw.get("applies_to"), f"{where}.applies_to", known)
    return Choice(id=choice_id, paper=paper, **text, **scope)


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{where}.{key}: expected a non-empty text")
    return " ".join(value.split())


def _parse_quotes(raw: Any, where: str) -> tuple[PaperQuote, ...]:
    if not isinstance(raw, list) or not raw:
        raise SpecError(f"{where}: expected a non-empty list of {{line, quote}}")
    out = []
    for i, entry in enumerate(raw):
        w = f"{where}[{i}]"
        if not (isinstance(entry, Mapping) and set(entry) == {"line", "quote"}):
            raise SpecError(f"{w}: expected {{line: N or [first, last], quote: text}}")
        line, quote = entry["line"], entry["quote"]
        first, last = (line, line) if isinstance(line, int) else _line_range(line, w)
        if not (isinstance(first, int) and first >= 1):
            raise SpecError(f"{w}.line: expected a line number ≥ 1, got {line!r}")
        if not isinstance(quote, str) or not quote.strip():
            raise SpecError(f"{w}.quote: expected the paper's words, verbatim")
        out.append(PaperQuote(first, last, quote))
    return tuple(out)


def _line_range(line: Any, where: str) -> tuple[int, int]:
    ok = isinstance(line, list) and len(line) == 2 and all(isinstance(x, int) for x in line)
    if not ok or not 1 <= line[0] < line[1]:
        raise SpecError(
            f"{where}.line: expected N or [first, last] with first < last, got {line!r}"
        )
    return line[0], line[1]


def _parse_scope(raw: Any, where: str, known: Mapping[str, tuple]) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: expected a mapping of {', '.join((*SELECTORS, 'variables'))}")
    unknown = sorted(set(raw) - {*SELECTORS, "variables"})
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {unknown}; known: {[*SELECTORS, 'variables']}")
    out: dict[str, Any] = {}
    for key in (*SELECTORS, "variables"):
        if key not in raw:
            continue
        values = raw[key]
        if not isinstance(values, list) or not values:
            raise SpecError(f"{where}.{key}: expected a non-empty list")
        bad = [v for v in values if v not in known[key]]
        if bad:
            raise SpecError(
                f"{where}.{key}: {bad} not defined by the spec; known: {list(known[key])}"
            )
        out[key] = tuple(values)
    out["tables"] = tuple(sorted(out.get("tables", known["tables"])))
    return out

"""Errors of the estimation library that speak to the user: what went wrong, where, what to do.

:class:`EstimationError` is the base of every error the library raises on purpose (a bad spec, a
sample it cannot fit, a missing panel). It carries an optional ``hint`` (what to do), printed on its
own line. Programs that wrap the library (the ``agglo`` CLI) catch it and print it without a
traceback; the library itself knows nothing about them.
"""

from __future__ import annotations


class EstimationError(Exception):
    """A problem with an estimation spec, sample or fit that the user can act on."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class SpecError(EstimationError):
    """The spec file is malformed or names something unknown."""

"""Matchers decide which clause patterns a fact satisfies. Only this part is pluggable.

A `Pattern` is a fact type and a predicate over that fact's own fields, with parameters
already folded to constants. Conjuncts that refer to another fact (an instance's record) are
not the matcher's: the engine checks them per instance. Both matchers must give the same
answers; the differential test runs every scenario on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from runtime.facts import Fact


@dataclass(frozen=True, slots=True)
class Pattern:
    id: str
    fact_type: str
    predicate: Any  # an IR expression over ["field", ...] and literals, or None


class Matcher(Protocol):
    name: str

    def load(self, patterns: list[Pattern]) -> None:
        """Prepare for these patterns. The engine calls it once, with every pattern the
        contract can need (including those of obligations created at run time)."""

    def match(self, fact: Fact) -> list[str]:
        """The ids of the patterns `fact` satisfies, in pattern order."""

    def close(self) -> None:
        """Release what the matcher holds."""


class MatcherUnavailable(RuntimeError):
    """The requested matcher cannot run here (say, rete on Python 3.13)."""


def make_matcher(name: str) -> Matcher:
    if name == "compiled":
        from runtime.matchers.compiled import CompiledMatcher

        return CompiledMatcher()
    if name == "rete":
        try:
            from runtime.matchers.rete import ReteMatcher
        except ImportError as error:
            raise MatcherUnavailable(f"the rete engine cannot load here: {error}") from error
        return ReteMatcher()
    raise MatcherUnavailable(f"unknown engine '{name}': choose compiled or rete")

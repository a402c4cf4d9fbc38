"""The `rete` matcher: durable-rules runs the rulesets that `lower_to_rete` makes. This is the
only module that imports durable_rules, and only when a `ReteMatcher` is made.

A fact is asserted as one message to each ruleset of its type, the rules that fired are
collected, and the fact is retracted: events would be consumed by the first rule that fires,
facts reach every rule. How the durable-rules hazards (DESIGN §4) are kept out of reach:
- the hang over 512 conditions, and the 64-deep alpha stack: rulesets are bounded at lowering;
- empty batches and lists without dicts: only `assert_fact` with one dict is ever called;
- floats: none are sent (see `encode_value`);
- duplicate events: each post has a fresh id, and its fact is retracted afterwards;
- silent action failures: no user code runs as an action, the pump notes which rules fired; a
  stored `exception` in the state is raised all the same, and so is any engine error;
- rules with no conditions: lowering never makes one;
- threads and the wall clock: the host starts no timers, and actions never build durable's
  `Closure` (it reads the clock, and gives up on an action after 10 seconds);
- sessions: one per ruleset, deleted after a failure and before its ruleset in `close`, so no
  slot leaks and no ruleset is deleted with a live state;
- Python 3.13: `MatcherUnavailable` with a clear message.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
from datetime import UTC, datetime
from functools import cache
from typing import Any

from runtime.facts import Fact
from runtime.matchers import MatcherUnavailable, Pattern
from runtime.matchers.compiled import compile_predicate
from runtime.matchers.lower_to_rete import (
    SESSION,
    LoweringError,
    Program,
    encode_message,
    lower_patterns,
    lower_program,
)

__all__ = ["UNAVAILABLE", "LoweringError", "ReteMatcher", "lower_patterns"]

UNAVAILABLE = (
    "the rete engine needs durable-rules, which does not run on Python 3.13+; use --engine compiled"
)


# -- the engine --------------------------------------------------------------------------------


@cache
def _durable() -> tuple[Any, Any]:
    """durable-rules' engine module and a host class that starts no threads and runs no actions:
    the names of the rules that fire go to `ruleset.fired`."""
    if sys.version_info >= (3, 13):
        raise MatcherUnavailable(UNAVAILABLE)
    try:
        from durable import engine
    except ImportError as error:
        raise MatcherUnavailable(UNAVAILABLE) from error
    native = engine.durable_rules_engine

    class PumpedRuleset(engine.Ruleset):  # type: ignore[misc]
        fired: list[str]

        def _flush_actions(self, state: Any, result: Any, state_handle: Any, complete: Any) -> None:
            # Replaces durable's Closure and Promise, which read the wall clock and can leave an
            # action half done; here "running" a rule is noting its name.
            message = result.get("message")
            while message:
                self.fired.extend(message)
                more = native.complete_and_start_action(self._handle, state_handle)
                message = json.loads(more) if more else None
            complete(None, state)

    class QuietHost(engine.Host):  # type: ignore[misc]
        def _run(self) -> None:
            """No dispatch or timer threads: the matcher pumps, and never uses timers."""

        def get_action(self, name: str) -> Any:
            return _never_run

        def register_rulesets(self, definitions: dict[str, Any]) -> list[str]:
            for name, definition in definitions.items():
                ruleset = PumpedRuleset(name, self, definition)
                ruleset.fired = []
                self._ruleset_directory[name] = ruleset
                self._ruleset_list.append(ruleset)
            return list(definitions)

    return engine, QuietHost


def _never_run(c: Any) -> None:
    raise AssertionError("rete actions are never run: the pump records rule names")


class ReteMatcher:
    name = "rete"

    def __init__(self) -> None:
        self._engine, self._host_class = _durable()
        self._patterns: list[Pattern] = []
        self._program = Program({}, {})
        self._host: Any = None
        self._posts = itertools.count()
        self._name = f"clausec_rete_{id(self):x}"  # each matcher has its own host as well

    def load(self, patterns: list[Pattern]) -> None:
        everything = [*self._patterns, *patterns]
        program = lower_program(everything, self._name)  # may raise: nothing is built yet
        self.close()
        host = self._host_class()
        try:
            for name, rules in program.rulesets.items():  # durable edits what it is given
                host.register_rulesets({name: json.loads(json.dumps(rules))})
        except BaseException:
            self._release(host)
            raise
        self._patterns, self._program, self._host = everything, program, host

    def match(self, fact: Fact) -> list[str]:
        fields = {
            k: (v.astimezone(UTC) if isinstance(v, datetime) else v) for k, v in fact.fields.items()
        }
        route = self._program.routes.get(fact.type)
        if route is None or self._host is None:
            return []
        message = encode_message(route, fact.type, fields, f"m{next(self._posts)}")
        fired: set[str] = set()
        for name in route.rulesets:
            fired |= self._post(name, message)
        raising = [i for i, p in enumerate(self._patterns) if f"e{i}" in fired]
        if raising:  # Python would raise here: let it, with its own words
            compile_predicate(self._patterns[raising[0]].predicate)(fields)
            raise RuntimeError("internal error: the rete matcher expected a pattern to raise")
        return [p.id for i, p in enumerate(self._patterns) if f"p{i}" in fired]

    def _post(self, name: str, message: dict[str, Any]) -> set[str]:
        """Assert one fact, pump until no rule is pending, retract it: the names that fired."""
        ruleset = self._host.get_ruleset(name)
        ruleset.fired.clear()
        try:
            state = self._host.assert_fact(name, message)
        except self._engine.MessageNotHandledException:
            state = None
        except Exception as error:
            self._host.delete_state(name, SESSION)  # a fresh session for the next fact
            raise RuntimeError(f"durable-rules failed to match a fact: {error}") from error
        seen = -1
        while seen != len(ruleset.fired):  # pump: synchronous posts leave nothing, but check
            seen = len(ruleset.fired)
            ruleset.dispatch()
        self._host.retract_fact(name, message)
        if isinstance(state, dict) and "exception" in state:
            self._host.delete_state(name, SESSION)
            raise RuntimeError(f"a durable-rules action failed: {state['exception']}")
        return set(ruleset.fired)

    def close(self) -> None:
        host, self._host = self._host, None
        if host is not None:
            self._release(host)

    def _release(self, host: Any) -> None:
        # Deleting a ruleset that still holds a state leaks it: states first.
        for ruleset in list(host._ruleset_list):
            with contextlib.suppress(Exception):  # a ruleset never posted to has no state
                ruleset.delete_state(SESSION)
            self._engine.durable_rules_engine.delete_ruleset(ruleset._handle)
        host._ruleset_list.clear()
        host._ruleset_directory.clear()

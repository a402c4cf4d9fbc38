"""The `rete` matcher: durable-rules runs the rulesets that `lower_to_rete` makes. This is the
only module that imports durable_rules, and only when a `ReteMatcher` is made.

A fact is asserted as one message to each ruleset of its type, the rules that fired are
collected, and the fact is retracted: an event would be consumed by the first rule that fires,
a fact reaches every rule. How the durable-rules hazards (DESIGN §4) are kept out of reach:
- the hang over 512 conditions, and the 64-deep alpha stack: rulesets are bounded at lowering;
- empty batches and lists without dicts: only `assert_fact` with one dict is ever called, and
  a fact of a type no pattern reads is not posted at all;
- floats: none are sent (see `encode_value`);
- duplicate events: each post has a fresh id, and its fact is retracted afterwards;
- silent action failures: no user code runs as an action, the pump notes which rules fired; a
  stored `exception` in the state is raised all the same, and so is any engine error;
- rules with no conditions: lowering never makes one;
- threads and the wall clock: the host starts no timers, and actions never build durable's
  `Closure` (it reads the clock, and abandons an action that takes over 10 seconds);
- sessions: one per ruleset, opened by a message that a rule handles (deleting a session that
  has only seen unhandled messages segfaults, and retracting from one corrupts it), deleted
  after a failure and before its ruleset in `close`: no slot leaks, no memory leaks;
- Python 3.13: `MatcherUnavailable` with a clear message.
"""

from __future__ import annotations

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
    OPENER,
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
        self._sessions: set[str] = set()  # the rulesets whose one session is open
        self._posts = itertools.count()
        self._loads = itertools.count()

    def load(self, patterns: list[Pattern]) -> None:
        """Add `patterns` to those loaded before, in a new host; if that fails, keep the old."""
        everything = [*self._patterns, *patterns]
        # Names unique to this matcher and load, although each host has its own rulesets.
        name = f"clausec_rete_{id(self):x}_{next(self._loads)}"
        program = lower_program(everything, name)  # may raise: nothing is built yet
        host = self._host_class()
        try:
            for name, rules in program.rulesets.items():  # durable edits what it is given
                host.register_rulesets({name: json.loads(json.dumps(rules))})
                self._open(host, name)
        except BaseException:
            self._release(host)
            raise
        self.close()
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
            self._open(self._host, name)
            fired |= self._assert(self._host, name, message)
        raising = [i for i, p in enumerate(self._patterns) if f"e{i}" in fired]
        if raising:  # Python would raise here: let it, with its own words
            compile_predicate(self._patterns[raising[0]].predicate)(fields)
            raise RuntimeError("internal error: the rete matcher expected a pattern to raise")
        return [p.id for i, p in enumerate(self._patterns) if f"p{i}" in fired]

    def _open(self, host: Any, name: str) -> None:
        """Open the ruleset's session with a message its `open` rule handles, unless it is open:
        deleting a session that has only seen unhandled messages segfaults."""
        if name not in self._sessions:
            if self._assert(host, name, dict(OPENER)) != {"open"}:
                raise RuntimeError(f"durable-rules did not open a session of {name}")
            self._sessions.add(name)

    def _assert(self, host: Any, name: str, message: dict[str, Any]) -> set[str]:
        """Assert one fact, pump until no rule is pending, retract it: the rules that fired.
        After a failure the session is deleted, to be opened afresh by the next post."""
        ruleset = host.get_ruleset(name)
        ruleset.fired.clear()
        try:
            state = host.assert_fact(name, message)
        except self._engine.MessageNotHandledException:
            return set()  # nothing fired, nothing was stored
        except Exception as error:
            self._drop_session(host, name)
            raise RuntimeError(f"durable-rules failed to match a fact: {error}") from error
        seen = -1
        while seen != len(ruleset.fired):  # posts run every action they start; make sure
            seen = len(ruleset.fired)
            ruleset.dispatch()
        host.retract_fact(name, message)
        if isinstance(state, dict) and "exception" in state:
            self._drop_session(host, name)
            raise RuntimeError(f"a durable-rules action failed: {state['exception']}")
        return set(ruleset.fired)

    def _drop_session(self, host: Any, name: str) -> None:
        if name in self._sessions:
            self._sessions.discard(name)
            host.delete_state(name, SESSION)

    def close(self) -> None:
        host, self._host = self._host, None
        if host is not None:
            self._release(host)

    def _release(self, host: Any) -> None:
        # A ruleset deleted while it holds a state leaks it, so the state goes first.
        for ruleset in list(host._ruleset_list):
            self._drop_session(host, ruleset._name)
            self._engine.durable_rules_engine.delete_ruleset(ruleset._handle)
        host._ruleset_list.clear()
        host._ruleset_directory.clear()

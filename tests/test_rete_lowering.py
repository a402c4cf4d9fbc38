"""Tests for `lower_to_rete` and `encode_values`, the pure half of the rete matcher: no
durable-rules needed.

Golden cases, one per input, in tests/golden/rete/:

    hand.patterns.json        hand-written patterns, one per thing the lowering must get right,
                              each with a `note` saying what
    hand.rulesets.json        their durable-rules rulesets, as `lower_patterns` makes them
    examples.rulesets.json    the same for every evidence filter of examples/*/contract.clause

Re-record with `CLAUSEC_UPDATE_GOLDEN=1 pytest tests/test_rete_lowering.py` and review the change
with `git diff`. The differential tests (test_rete.py) check that the rulesets mean the same as
the compiled matcher; these check their shape, their limits, and the value encoding's order.
"""

from __future__ import annotations

import copy
import json
import os
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clausec.compiler import compile_or_raise
from runtime.matchers import Pattern
from runtime.matchers.encode_values import MAX_TEXT, encode_value
from runtime.matchers.lower_to_rete import (
    MAX_CONDITIONS,
    LoweringError,
    condition_cost,
    lower_patterns,
)
from runtime.money import Money

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "rete"
UPDATE_GOLDEN = os.environ.get("CLAUSEC_UPDATE_GOLDEN") == "1"
MATCHER_NODES = {"lit", "field", "enum", "cmp", "and", "or", "not"}


def hand_patterns() -> list[Pattern]:
    rows = json.loads((GOLDEN / "hand.patterns.json").read_text(encoding="utf-8"))
    return [Pattern(r["id"], r["fact_type"], r["predicate"]) for r in rows]


def matcher_only(node: Any) -> bool:
    """Whether a predicate uses only what a matcher predicate may (no params, no records)."""
    if node is None or not isinstance(node, list) or not node:
        return True
    if node[0] == "cmp":
        return all(matcher_only(operand) for operand in node[2])
    if node[0] in ("lit", "field", "enum"):
        return True
    return node[0] in MATCHER_NODES and all(matcher_only(child) for child in node[1:])


def example_patterns() -> list[Pattern]:
    """Obligations' evidence filters from the example contracts, as the engine would load them."""
    patterns = []
    for path in sorted((ROOT / "examples").glob("*/contract.clause")):
        bundle = compile_or_raise(path.relative_to(ROOT))
        for obligation in bundle.obligations:
            evidence = obligation.duty.evidence
            if evidence is not None and matcher_only(evidence.where):
                patterns.append(
                    Pattern(f"{path.parent.name}/{obligation.id}", evidence.fact, evidence.where)
                )
    return patterns


def assert_golden(name: str, actual: Any) -> None:
    path = GOLDEN / f"{name}.rulesets.json"
    text = json.dumps(actual, indent=1, ensure_ascii=False) + "\n"
    if UPDATE_GOLDEN:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"record it with CLAUSEC_UPDATE_GOLDEN=1 pytest {__file__}"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs; re-record to update"


@pytest.fixture(autouse=True)
def _from_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # compiled paths, and so the golden files, are relative to the root


@pytest.mark.parametrize("name", ["hand", "examples"])
def test_golden_rulesets(name: str) -> None:
    patterns = hand_patterns() if name == "hand" else example_patterns()
    assert patterns
    assert_golden(name, lower_patterns(patterns, name))


def all_rules(rulesets: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(rule_name, rule) for rules in rulesets.values() for rule_name, rule in rules.items()]


def walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value, *(x for v in value.values() for x in walk(v))]
    if isinstance(value, list):
        return [value, *(x for v in value for x in walk(v))]
    return [value]


def test_lowering_is_pure_and_deterministic() -> None:
    patterns = hand_patterns()
    before = copy.deepcopy(patterns)
    first = lower_patterns(patterns, "rs")
    assert lower_patterns(patterns, "rs") == first
    assert patterns == before
    assert json.loads(json.dumps(first)) == first


def test_every_rule_tests_its_fact_type_and_sends_no_float() -> None:
    rulesets = lower_patterns(hand_patterns() + example_patterns(), "rs")
    assert not any(isinstance(v, float) for v in walk(rulesets))
    for name, rule in all_rules(rulesets):
        condition = rule["all"][0]["m"]
        assert rule["run"] == name and condition
        kinds = [c for c in walk(condition) if isinstance(c, dict) and "kind" in c]
        assert kinds, f"rule {name} does not test the fact type"
    for rules in rulesets.values():
        assert sum(condition_cost(r["all"][0]["m"]) for r in rules.values()) <= MAX_CONDITIONS
        # Deleting a session that only saw unhandled messages segfaults: `open` opens it.
        assert next(iter(rules)) == "open" and rules["open"]["all"] == [{"m": {"kind": "#open"}}]


def test_patterns_that_never_hold_get_no_rule() -> None:
    names = {name for name, _ in all_rules(lower_patterns(hand_patterns(), "rs"))}
    ids = [p.id for p in hand_patterns()]
    assert f"p{ids.index('constant_false')}" not in names
    assert f"p{ids.index('chain_none')}" not in names
    assert f"p{ids.index('everything')}" in names


def test_many_patterns_are_split_across_rulesets() -> None:
    # 600 distinct conditions under one node would hang durable-rules.
    patterns = [
        Pattern(f"p{i}", "t", ["cmp", ["=="], [["field", "x"], ["lit", "number", str(i)]]])
        for i in range(600)
    ]
    rulesets = lower_patterns(patterns, "rs")
    assert len(rulesets) > 600 * 2 // MAX_CONDITIONS - 1
    names = [name for name, _ in all_rules(rulesets) if name != "open"]
    assert sorted(names) == sorted(f"p{i}" for i in range(600))
    for rules in rulesets.values():
        assert sum(condition_cost(r["all"][0]["m"]) for r in rules.values()) <= MAX_CONDITIONS


def test_a_pattern_too_big_for_one_ruleset_is_refused() -> None:
    # Six `!=` (each "differs or is None") expand to 2**6 chains of conditions.
    parts: Any = ["cmp", ["!="], [["field", "x0"], ["lit", "number", "0"]]]
    for i in range(1, 6):
        parts = ["and", parts, ["cmp", ["!="], [["field", f"x{i}"], ["lit", "number", "0"]]]]
    with pytest.raises(
        LoweringError,
        match=r"pattern 'big' needs \d+ conditions.*"
        rf"allows {MAX_CONDITIONS - 1} \(use --engine compiled\)",
    ):
        lower_patterns([Pattern("big", "t", parts)], "rs")


@pytest.mark.parametrize(
    ("predicate", "message"),
    [
        (["param", "threshold"], "pattern 'bad': a matcher predicate cannot use 'param'"),
        (["cmp", ["=="], [["field", "a.b"], ["lit", "number", "1"]]], "'a.b' is not an identifier"),
        (
            ["cmp", ["=="], [["field", "s"], ["lit", "text", "x" * (MAX_TEXT + 1)]]],
            "cannot compare",
        ),
        (["cmp", ["<"], [["lit", "text", "a"], ["lit", "number", "1"]]], "not supported between"),
        (["cmp", ["=="], [["field", "x"], ["lit", "number", "NaN"]]], "cannot compare with"),
    ],
)
def test_what_rete_cannot_run_is_refused_at_load(predicate: Any, message: str) -> None:
    with pytest.raises(LoweringError, match=message):
        lower_patterns([Pattern("bad", "t", predicate)], "rs")


# -- the value encoding: durable-rules compares strings with strcmp, so the encoded strings must
# -- sort exactly as the values do.


def assert_same_order(a: Any, b: Any) -> None:
    (ea, _), (eb, _) = encode_value(a), encode_value(b)
    assert (a < b, a == b, a > b) == (ea < eb, ea == eb, ea > eb), (a, b, ea, eb)


NUMBERS = st.one_of(
    st.decimals(allow_nan=False),
    st.sampled_from(
        [
            Decimal("1E-5"),
            Decimal("-0"),
            Decimal("0.000001"),
            Decimal("1E-7"),
            Decimal("-1E+30"),
            Decimal("123.4500"),
            Decimal("-123.45"),
        ]
    ),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
)
ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=5, minutes=30)),
        timezone(timedelta(hours=-8)),
        timezone(timedelta(hours=14)),
    ]
)


@given(NUMBERS, NUMBERS)
def test_numbers_sort_as_their_values(a: Any, b: Any) -> None:
    assert_same_order(a, b)


@given(st.text(), st.text())
def test_text_sorts_as_python_strings(a: str, b: str) -> None:
    assert_same_order(a, b)


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=ZONES),
    st.datetimes(timezones=ZONES, min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
)
def test_datetimes_sort_as_instants(a: datetime, b: datetime) -> None:
    assert_same_order(a, b)


@given(
    st.dates(),
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False),
)
def test_dates_and_amounts_sort_as_their_values(a: date, b: date, x: Decimal, y: Decimal) -> None:
    assert_same_order(a, b)
    assert_same_order(Money(x, "EUR"), Money(y, "EUR"))


@pytest.mark.parametrize("constant", ["a" * MAX_TEXT, "a" * (MAX_TEXT - 1) + "b", "a", "b", ""])
def test_a_cut_text_still_compares_exactly_with_any_constant(constant: str) -> None:
    long = "a" * (MAX_TEXT + 10)
    encoded, cut = encode_value(long)
    assert cut and len(encoded) < 65536
    ec = encode_value(constant)[0]
    assert (long < constant, long == constant) == (encoded < ec, encoded == ec)

"""Lower matcher patterns to durable-rules JSON rulesets: the pure half of the `rete` matcher.

In: `Pattern`s. Out: a `Program`, the rulesets by name (`lower_patterns`, golden-tested) and per
fact type a `Route`: which rulesets to post to and which message keys to send
(`encode_message`). It guarantees that durable-rules answers exactly as `CompiledMatcher`, for
every predicate it accepts; what it cannot run is a `LoweringError` at load. It never imports
durable_rules: running the rulesets is `rete.py`'s.

- Rule `p<i>` fires when pattern i matches: the fact type `and` the predicate, with `not` pushed
  into the leaves (De Morgan; `not x < c` is "x is None or x >= c"). No rule is made for a
  predicate that cannot hold, and none is ever left without conditions.
- Rule `e<i>` fires when evaluating pattern i raises in Python: an ordered comparison of values
  of two kinds (text and a date, amounts in two currencies, NaN), reached past `and`/`or`
  short-circuits. The matcher then lets Python raise the same exception.
- durable-rules expands every `or` into its own chain of conditions. A ruleset holds at most
  MAX_CONDITIONS of them (its alpha stack holds 64, and over 512 children under one node hang
  it), so patterns are packed into as many rulesets as needed. Each ruleset also has a rule
  `open`, which only OPENER matches: a session must be opened by a handled message.
- Values are strings that sort as the values do (`encode_value`): never floats, exact for every
  Decimal, and text as hex, since durable-rules compares strings as escaped JSON bytes. None is
  an absent key; and since durable-rules lets a comparison with an absent property succeed, a
  field on the right of a comparison is always tested for presence.
- Constants mean what `compile_predicate` says they mean.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from runtime.matchers import Pattern
from runtime.matchers.compiled import compile_predicate
from runtime.matchers.encode_values import encode_value, kind_of

MAX_CONDITIONS = 48  # per ruleset, counted after durable-rules expands every `or`
MAX_KEYS = 100  # per message; durable-rules rejects somewhat over 200 (error 302)
SESSION = "0"
OPENER = {"id": "open", "sid": SESSION, "kind": "#open"}  # no fact type is spelled like this
ORDERED = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}
FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
SIMPLE = ("field", "lit", "enum")

Cond = bool | dict[str, Any]


class LoweringError(ValueError):
    """A pattern the rete engine cannot run; `--engine compiled` can."""


# -- conditions --------------------------------------------------------------------------------


def _join(op: str, parts: tuple[Cond, ...]) -> Cond:
    """`$and` or `$or` of the parts: constants folded, nested joins flattened, repeats dropped."""
    unit = op == "$and"  # True is the unit of and, False of or
    items: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, bool):
            if part is not unit:
                return part
            continue
        for item in part[op] if list(part) == [op] else [part]:
            if item not in items:
                items.append(item)
    if not items:
        return unit
    return items[0] if len(items) == 1 else {op: items}


def and_(*parts: Cond) -> Cond:
    return _join("$and", parts)


def or_(*parts: Cond) -> Cond:
    return _join("$or", parts)


def condition_cost(cond: Cond) -> int:
    """Conditions durable-rules builds for `cond`: it expands `or` into one chain per term."""

    def cost(c: dict[str, Any]) -> tuple[int, int]:  # (terms, conditions)
        if "$and" in c:
            terms, atoms = 1, 0
            for t, a in map(cost, c["$and"]):
                terms, atoms = terms * t, atoms * t + a * terms
            return terms, atoms
        if "$or" in c:
            both = [cost(part) for part in c["$or"]]
            return sum(t for t, _ in both), sum(a for _, a in both)
        return 1, 1

    return cost(cond)[1] if isinstance(cond, dict) else 0


# -- lowering ----------------------------------------------------------------------------------


@dataclass
class Need:
    """What a message must carry for one field."""

    present: bool = False  # o_<name>, absent for None ...
    value: bool = False  # ... holding the encoded value, not just a mark
    truth: bool = False  # t_<name>: 1 when the value is truthy, else absent
    kind: bool = False  # k_<name>: `kind_of` the value, for comparisons that can raise
    paired: bool = False  # compared with another field, so it must not be cut


@dataclass
class Route:
    """Everything about one fact type that matching needs."""

    rulesets: list[str]
    needs: dict[str, Need]


@dataclass
class Program:
    rulesets: dict[str, dict[str, Any]]
    routes: dict[str, Route]


def _constant(node: list[Any]) -> Any:
    try:
        return compile_predicate(node)({})
    except Exception as error:
        raise LoweringError(f"bad constant {json.dumps(node)}: {error}") from None


class _Lowering:
    """Lowers the predicates of one fact type, noting what its messages must carry."""

    def __init__(self) -> None:
        self.needs: dict[str, Need] = {}

    def need(self, name: str) -> Need:
        if not isinstance(name, str) or not name.isidentifier():
            raise LoweringError(f"field name {name!r} is not an identifier")  # durable reads dots
        return self.needs.setdefault(name, Need())

    def test(self, node: Any, truthy: bool) -> Cond:
        """The condition under which `bool(node)` is `truthy`; `not` is pushed into the leaves."""
        if node is None:
            return truthy
        head = node[0]
        if head == "not":
            return self.test(node[1], not truthy)
        if head in ("and", "or"):
            left, right = self.test(node[1], truthy), self.test(node[2], truthy)
            return and_(left, right) if (head == "and") == truthy else or_(left, right)
        if head == "cmp":
            pairs = [self.pair(op, a, b, truthy) for op, a, b in self.chain(node)]
            return and_(*pairs) if truthy else or_(*pairs)
        if head == "field":
            self.need(node[1]).truth = True
            atom = {f"t_{node[1]}": 1}
            return atom if truthy else {"$nex": atom}
        if head in ("lit", "enum"):
            return bool(_constant(node)) == truthy
        raise LoweringError(f"a matcher predicate cannot use '{head}'")

    @staticmethod
    def chain(node: list[Any]) -> list[tuple[str, Any, Any]]:
        ops, operands = node[1], node[2]
        return list(zip(ops, operands, operands[1:], strict=False))

    def pair(self, op: str, left: Any, right: Any, truthy: bool) -> Cond:
        for side, other, first in ((left, right, True), (right, left, False)):
            if side[0] not in SIMPLE:  # a boolean operand: one case for each of its values
                cases = []
                for value in (True, False):
                    lit = ["lit", "bool", value]
                    a, b = (lit, other) if first else (other, lit)
                    cases.append(and_(self.test(side, value), self.pair(op, a, b, truthy)))
                return or_(*cases)
        if left[0] != "field" and right[0] != "field":
            return bool(_constant(["cmp", [op], [left, right]])) == truthy
        if left[0] != "field":
            left, right, op = right, left, FLIPPED[op]
        return self.compare(op, left[1], right, truthy)

    def compare(self, op: str, name: str, right: list[Any], truthy: bool) -> Cond:
        """`field op right`, where right is a field or a constant, with None as the IR says."""
        x = self.need(name)
        x.present = True
        if right[0] == "field":
            y = self.need(right[1])
            x.value = y.value = x.paired = y.paired = y.present = True
            y_present: Cond = {"$ex": {f"o_{right[1]}": 1}}
        elif _constant(right) is None:
            return (not truthy) if op in ORDERED else self.presence(name, (op == "==") != truthy)
        else:
            y_present = True
        y_absent = False if y_present is True else {"$nex": {f"o_{right[1]}": 1}}
        x_present, x_absent = self.presence(name, True), self.presence(name, False)
        if op in ORDERED:
            if truthy:
                return self.rel(op, name, right)
            return or_(x_absent, y_absent, self.rel(NEGATED[op], name, right))
        if (op == "==") == truthy:
            return or_(self.rel("==", name, right), and_(x_absent, y_absent))
        return or_(
            self.rel("!=", name, right), and_(x_present, y_absent), and_(x_absent, y_present)
        )

    def presence(self, name: str, present: bool) -> Cond:
        self.need(name).present = True
        return {"$ex" if present else "$nex": {f"o_{name}": 1}}

    def rel(self, op: str, name: str, right: list[Any]) -> Cond:
        """The atom for two present values; a field on the right must be tested too, because
        durable-rules lets a comparison with a missing property succeed."""
        key = f"o_{name}"
        if right[0] == "field":
            ref = {"$m": f"o_{right[1]}"}
            atom = {key: ref} if op == "==" else {ORDERED.get(op, "$neq"): {key: ref}}
            return and_(atom, {"$ex": {f"o_{right[1]}": 1}})
        try:
            text, cut = encode_value(_constant(right))
        except ValueError as error:
            raise LoweringError(str(error)) from None
        if cut or text.startswith("?"):
            raise LoweringError(f"the rete engine cannot compare with {json.dumps(right)}")
        self.need(name).value = True
        return {key: text} if op == "==" else {ORDERED.get(op, "$neq"): {key: text}}

    def errors(self, node: Any) -> list[Cond]:
        """When evaluating `node` raises: one condition per ordered comparison, gated by
        Python's short-circuits. Ordering values of two kinds raises (amounts in two currencies
        are two kinds)."""
        head = node[0] if node else None
        if head == "not":
            return self.errors(node[1])
        if head in ("and", "or"):
            runs = self.test(node[1], head == "and")  # when Python evaluates the right side
            return self.errors(node[1]) + [and_(runs, e) for e in self.errors(node[2])]
        found: list[Cond] = []
        if head == "cmp":
            gate: Cond = True
            for op, a, b in self.chain(node):
                inner = [e for side in (a, b) if side[0] not in SIMPLE for e in self.errors(side)]
                mismatch = self.mismatch(a, b) if op in ORDERED else False
                found += [and_(gate, e) for e in [*inner, mismatch]]
                gate = and_(gate, self.pair(op, a, b, True))
        return found

    def mismatch(self, left: Any, right: Any) -> Cond:
        """When the two operands are of different kinds (None is compared with nothing)."""
        kinds: list[str | None] = []
        for side in (left, right):
            if side[0] == "field":
                self.need(side[1]).kind = True
                kinds.append(None)
            elif side[0] in SIMPLE:
                constant = _constant(side)
                if constant is None:
                    return False
                kinds.append(kind_of(constant))
            else:
                kinds.append("n")  # a boolean
        keys = [f"k_{side[1]}" for side in (left, right) if side[0] == "field"]
        if len(keys) == 2:
            return and_(
                {"$ex": {keys[0]: 1}}, {"$ex": {keys[1]: 1}}, {"$neq": {keys[0]: {"$m": keys[1]}}}
            )
        known = [k for k in kinds if k is not None]
        return {"$neq": {keys[0]: known[0]}} if keys else known[0] != known[1]


def _pattern_rules(lowering: _Lowering, index: int, pattern: Pattern) -> dict[str, Any]:
    """Rule `p<index>` fires when the pattern matches, `e<index>` when evaluating it raises."""
    kind = {"kind": pattern.fact_type}
    try:
        conditions = {
            f"p{index}": and_(kind, lowering.test(pattern.predicate, True)),
            f"e{index}": and_(kind, or_(*lowering.errors(pattern.predicate))),
        }
    except (ValueError, RecursionError, IndexError, TypeError) as error:
        raise LoweringError(f"pattern '{pattern.id}': {error}") from None
    rules: dict[str, Any] = {}
    for name, cond in conditions.items():
        if cond is False:
            continue  # the pattern can never match (or never raise): no rule
        if not isinstance(cond, dict) or not cond:
            raise LoweringError(f"pattern '{pattern.id}' lowered to a rule with no conditions")
        rules[name] = {"all": [{"m": cond}], "run": name}
    cost = _rules_cost(rules)
    if cost > MAX_CONDITIONS - 1:
        raise LoweringError(
            f"pattern '{pattern.id}' needs {cost} conditions once every 'or' is expanded; "
            f"the rete engine allows {MAX_CONDITIONS - 1} (use --engine compiled)"
        )
    return rules


def _rules_cost(rules: dict[str, Any]) -> int:
    return sum(condition_cost(rule["all"][0]["m"]) for rule in rules.values())


def _pack(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rulesets of whole patterns, in order, each within MAX_CONDITIONS. Each starts with the
    rule `open`, which only OPENER matches: a session must be opened by a message that some rule
    handles, or deleting it segfaults."""
    chunks: list[dict[str, Any]] = []
    used = MAX_CONDITIONS
    for rules in filter(None, parts):
        cost = _rules_cost(rules)
        if used + cost > MAX_CONDITIONS:
            chunks.append({"open": {"all": [{"m": {"kind": OPENER["kind"]}}], "run": "open"}})
            used = 1
        chunks[-1].update(rules)
        used += cost
    return chunks


def lower_program(patterns: list[Pattern], ruleset_name: str) -> Program:
    """Rulesets and, per fact type, the route a fact of that type takes."""
    by_type: dict[str, list[tuple[int, Pattern]]] = {}
    for index, pattern in enumerate(patterns):
        by_type.setdefault(pattern.fact_type, []).append((index, pattern))
    program = Program({}, {})
    for fact_type, members in by_type.items():
        lowering = _Lowering()
        parts = [_pattern_rules(lowering, index, pattern) for index, pattern in members]
        keys = 3 + sum(int(n.present) + n.truth + n.kind for n in lowering.needs.values())
        if keys > MAX_KEYS:
            raise LoweringError(
                f"facts of type '{fact_type}' would need {keys} message keys; "
                f"the rete engine allows {MAX_KEYS} (use --engine compiled)"
            )
        names = []
        for chunk in _pack(parts):
            names.append(f"{ruleset_name}_{len(program.rulesets)}")
            program.rulesets[names[-1]] = chunk
        program.routes[fact_type] = Route(names, lowering.needs)
    return program


def lower_patterns(patterns: list[Pattern], ruleset_name: str) -> dict[str, Any]:
    """The durable-rules rulesets for `patterns`, by name: JSON only, the same every time.
    Raises `LoweringError` for a pattern the rete engine cannot run."""
    return lower_program(patterns, ruleset_name).rulesets


# -- messages ----------------------------------------------------------------------------------


def encode_message(
    route: Route, fact_type: str, fields: dict[str, Any], message_id: str
) -> dict[str, Any]:
    """One fact as a durable-rules message: only the keys its fact type's patterns read."""
    message: dict[str, Any] = {"id": message_id, "sid": SESSION, "kind": fact_type}
    for name, need in route.needs.items():
        value = fields.get(name)
        if need.truth and value:
            message[f"t_{name}"] = 1
        if value is None:
            continue
        if need.kind:
            message[f"k_{name}"] = kind_of(value)
        if need.value:
            text, cut = encode_value(value)
            if need.paired and (cut or text.startswith("?")):
                raise ValueError(
                    f"the rete engine cannot compare field '{name}' (a "
                    f"{type(value).__name__}) with another field"
                )
            message[f"o_{name}"] = text
        elif need.present:
            message[f"o_{name}"] = "x"  # only ever tested for None
    return message

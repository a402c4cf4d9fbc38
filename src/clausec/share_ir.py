"""Sharing the parts that bundles have in common: one object for each distinct IR part.

In: a bundle just built or loaded. Out: the same bundle, each of whose parts (a type, a duty,
a tier row, a field's schema ...) is replaced by an equal part already held by a bundle in
this process, if there is one. Contracts made from the same templates differ in their
header, parties, parameter values and source spans; the rest of their IR is the same, and
a portfolio of a thousand contracts held a thousand copies of it. Each part is a few
hundred bytes of pydantic model, dict and set, and the garbage collector walks every one
in each full collection. A part whose span names its contract's own file is its
contract's alone, but its expressions (lists and dicts of JSON values), its empty lists
and its long texts are shared all the same.

Guarantees: a part is replaced only by one equal to it in every field, of the same class,
whose own parts are shared in turn, so the bundle is equal to what it was and dumps to the
same JSON (a shared list or dict is a `SharedList` or `SharedDict`, which pydantic dumps as
a list or dict). Parts are frozen and nothing changes them, or their lists and dicts, after
validation; pydantic copies a model's set of given fields before it changes one
(`model_copy`), so models of one class given the same fields share that set too. A shared
part lives as long as a bundle uses it. The bundle itself is never shared: callers may rely
on its identity.

Every part kept, and the bundle, is also made compact (`compact`): CPython keeps its fields
in a table of values whose keys its class shares, instead of the dict pydantic gives each
instance, which halves the memory of the parts that are a contract's own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from threading import Lock
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

V = TypeVar("V")
M = TypeVar("M", bound=BaseModel)


class SharedList(list[Any]):
    """A list of JSON values held by several parts. Pydantic dumps it as a list (and
    validates it into one); `value_key` knows it as shared."""

    __slots__ = ()


class SharedDict(dict[str, Any]):
    """A dict of JSON values held by several parts (see `SharedList`)."""

    __slots__ = ()


Shared = BaseModel | SharedList | SharedDict


def _itself(value: Any) -> Any:
    return value


class Held(Generic[V]):
    """Values by a hash, each kept while something besides this table refers to it.

    A weak reference per value cost as much as a small part, and most parts a portfolio
    loads are held: instead the table holds its values outright and, each time it has
    doubled, drops those only it refers to (by their reference count, which CPython keeps
    exact). A value no one uses lives until the next sweep, so the table is at most twice
    what is in use. `used` picks the object whose use counts in an entry."""

    def __init__(self, used: Callable[[V], object] = _itself) -> None:
        self._values: dict[int, V] = {}
        self._used = used
        self._sweep_at = _FIRST_SWEEP
        self._lock = Lock()  # bundles may be loaded on several threads at once

    def get(self, digest: int) -> V | None:
        return self._values.get(digest)

    def setdefault(self, digest: int, value: V) -> V:
        """The value held under `digest`, which is `value` if there was none: one step, so
        that two threads holding equal parts at once end with the same one."""
        with self._lock:
            held = self._values.get(digest)
            if held is not None:
                return held
            if len(self._values) >= self._sweep_at:
                self._sweep()
            self._values[digest] = value
            return value

    def __len__(self) -> int:
        return len(self._values)

    def sweep(self) -> None:
        """Drop the values only this table refers to, and then those only they referred to."""
        with self._lock:
            self._sweep()

    def _sweep(self) -> None:
        values, used = self._values, self._used
        while unused := [d for d in values if sys.getrefcount(used(values[d])) <= _ONLY_HELD]:
            for digest in unused:
                del values[digest]
        self._sweep_at = max(_FIRST_SWEEP, 2 * len(values))


_FIRST_SWEEP = 1024
# `sys.getrefcount` of a value that only its entry refers to: the entry's reference and the
# call's own argument.
_ONLY_HELD = 2

# The parts held, by the hash of their key (`value_key`): a key itself is a tree of tuples
# as big as its part, and keeping one per distinct part cost more than the parts. An equal
# part found under the hash is checked field by field (`same_value`); a different part
# under the same hash (a collision) is simply not shared.
_PARTS: Held[Shared] = Held()
_FIELD_SETS: dict[tuple[type, frozenset[str]], set[str]] = {}
_NEVER_SHARED: tuple[type[BaseModel], ...] = ()  # see `never_shared`
_set = object.__setattr__
_new = object.__new__
# The empty list of every part that is not shared itself (nothing changes a part's lists).
_EMPTY: list[Any] = []
# Strings this short are shared already: pydantic's JSON parser caches them.
_CACHED = 63
# Strings in expressions this short are interned: operators, kinds, currencies, units.
_WORD = 12


def value_key(value: Any) -> Any:
    """A hashable key that equal values share (shared parts: by identity)."""
    if isinstance(value, BaseModel | SharedList | SharedDict):
        return ("shared", id(value))
    if isinstance(value, list):
        return ("list", tuple(value_key(item) for item in value))
    if isinstance(value, dict):
        return ("dict", tuple((name, value_key(item)) for name, item in value.items()))
    return (type(value), value)


def same_value(one: Any, other: Any) -> bool:
    """Whether two values are equal as `value_key` sees them: of the same types throughout
    (1 is not True), dict keys in the same order, models (already shared) the same object."""
    if one is other:
        return True
    if isinstance(one, list):
        return (
            isinstance(other, list) and len(one) == len(other) and all(map(same_value, one, other))
        )
    if isinstance(one, dict):
        return (
            isinstance(other, dict)
            and list(one) == list(other)
            and all(same_value(one[k], other[k]) for k in one)
        )
    if type(one) is not type(other) or isinstance(one, BaseModel):
        return False
    if isinstance(one, float):  # -0.0 == 0.0, but they dump differently
        return repr(one) == repr(other)
    return bool(one == other)


def _held(value: Any, digest: int, make: type[SharedList | SharedDict] | None) -> tuple[Any, bool]:
    """The part held under `digest` if it equals `value`; else `value` (as `make`, held from
    now on if nothing is held under `digest`). And whether what it gives is held."""
    held = _PARTS.get(digest)
    if held is None:
        candidate = make(value) if make is not None else compact(value)
        held = _PARTS.setdefault(digest, candidate)
        if held is candidate:
            return candidate, True
    if isinstance(value, BaseModel):
        # by attribute: reading a compact part's `__dict__` would make it a dict again
        same = type(held) is type(value) and all(
            same_value(getattr(held, name), item) for name, item in value.__dict__.items()
        )
    else:
        same = type(held) is make and same_value(held, value)
    return (held, True) if same else (value, False)


def _shared(value: Any) -> tuple[Any, bool]:
    """`value` with its parts shared, in place for lists and dicts (fresh from validation),
    and whether it is held (or a plain value, which any part may hold).
    A list or dict is shared in turn (an expression, the fact schemas, a `for each` ...):
    a part that is not shared itself still has its template's expressions. One that holds
    a part that is not held (a header, a clause, a part that failed to hash) is left as it
    is."""
    if isinstance(value, BaseModel):
        return _share_model(value)
    if isinstance(value, str):
        # A clause's text is as long as its source: parts that differ in their spans alone
        # (the same template in another file) are not shared, but their texts can be.
        return (sys.intern(value) if len(value) > _CACHED else value), True
    if isinstance(value, list):
        if not value:  # most parts' lists are empty: `inform`, `tiers`, `roles` ...
            return _EMPTY, True
        own = False  # whether it holds a part that is not held
        for index, item in enumerate(value):
            if type(item) is str and len(item) <= _WORD:
                # pydantic's parser shares a model field's short strings, not those in JSON
                # values: the "lit", "money" and "EUR" of each parameter's value
                new, held = sys.intern(item), True
            else:
                new, held = _shared(item)
            if new is not item:
                value[index] = new
            own = own or not held
        return (value, False) if own else _held(value, hash(value_key(value)), SharedList)
    if isinstance(value, dict):
        own = False
        for name, item in value.items():
            new, held = _shared(item)
            if new is not item:
                value[name] = new
            own = own or not held
        return (value, False) if own else _held(value, hash(value_key(value)), SharedDict)
    return value, True


def _share_field_set(model: BaseModel) -> None:
    given = model.__pydantic_fields_set__
    same = _FIELD_SETS.setdefault((type(model), frozenset(given)), given)
    if same is not given:
        _set(model, "__pydantic_fields_set__", same)


def _share_model(model: BaseModel) -> tuple[BaseModel, bool]:
    fields = model.__dict__
    own = False
    for name, item in fields.items():
        new, held = _shared(item)
        if new is not item:
            fields[name] = new  # a model being built: frozen only once it is published
        own = own or not held
    _share_field_set(model)
    if own or isinstance(model, _NEVER_SHARED):
        return compact(model), False
    try:
        key = (type(model), tuple((name, value_key(item)) for name, item in fields.items()))
        digest = hash(key)
    except TypeError:  # a value with no hash: this part is kept as it is
        return compact(model), False
    shared, held = _held(model, digest, None)
    return shared, held


def never_shared(*kinds: type[BaseModel]) -> None:
    """Parts of these kinds are kept as they are, not looked up: no other contract has one
    equal, and an entry in the table costs a contract about 90 bytes each. Their own parts
    are shared all the same."""
    global _NEVER_SHARED
    _NEVER_SHARED = (*_NEVER_SHARED, *kinds)


def compact(model: M) -> M:
    """`model` as an equal instance that keeps its fields the way CPython keeps a plain
    object's attributes: in a table of values whose keys all instances of the class share,
    about half the size of the dict pydantic gives each instance (for an obligation, 260
    bytes instead of 540). Pydantic reads the fields as before; a model whose `__dict__` is
    asked for gets a small dict over the same values."""
    new = _new(type(model))
    for name, value in model.__dict__.items():
        _set(new, name, value)
    _set(new, "__pydantic_fields_set__", model.__pydantic_fields_set__)
    _set(new, "__pydantic_extra__", model.__pydantic_extra__)
    _set(new, "__pydantic_private__", model.__pydantic_private__)
    return new


def share_parts(bundle: M) -> M:
    """`bundle` with its parts shared with the bundles already loaded, each kept compact
    (the bundle too, as a new object)."""
    for name, item in bundle.__dict__.items():
        new, _ = _shared(item)
        if new is not item:
            bundle.__dict__[name] = new
    _share_field_set(bundle)
    return compact(bundle)

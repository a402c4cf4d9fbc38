"""Sharing the parts that bundles have in common: one object for each distinct IR part.

In: a bundle just built or loaded. Out: the same bundle, each of whose parts (a type, a duty,
a tier row, a field's schema ...) is replaced by an equal part already held by a bundle in
this process, if there is one. Contracts made from the same templates differ in their
header, parties, parameter values and source spans; the rest of their IR is the same, and
a portfolio of a thousand contracts held a thousand copies of it. Each part is a few
hundred bytes of pydantic model, dict and set, and the garbage collector walks every one
in each full collection.

Guarantees: a part is replaced only by one equal to it in every field, of the same class,
whose own parts are shared in turn, so the bundle is equal to what it was and dumps to the
same JSON. Parts are frozen and nothing changes them after validation; pydantic copies a
model's set of given fields before it changes one (`model_copy`), so models of one class
given the same fields share that set too. A shared part lives as long as a bundle uses it.
The bundle itself is never shared: callers may rely on its identity.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakValueDictionary

from pydantic import BaseModel

_PARTS: WeakValueDictionary[Any, BaseModel] = WeakValueDictionary()
_FIELD_SETS: dict[tuple[type, frozenset[str]], set[str]] = {}
_set = object.__setattr__


def _key(value: Any) -> Any:
    """A hashable key that equal values share (models already shared: by identity)."""
    if isinstance(value, BaseModel):
        return ("model", id(value))
    if isinstance(value, list):
        return ("list", tuple(_key(item) for item in value))
    if isinstance(value, dict):
        return ("dict", tuple((name, _key(item)) for name, item in value.items()))
    return (type(value), value)


def _shared(value: Any) -> Any:
    """`value` with its parts shared, in place for lists and dicts (fresh from validation)."""
    if isinstance(value, BaseModel):
        return _share_model(value)
    if isinstance(value, list):
        for index, item in enumerate(value):
            new = _shared(item)
            if new is not item:
                value[index] = new
    elif isinstance(value, dict):
        for name, item in value.items():
            new = _shared(item)
            if new is not item:
                value[name] = new
    return value


def _share_model(model: BaseModel) -> BaseModel:
    fields = model.__dict__
    for name, item in fields.items():
        new = _shared(item)
        if new is not item:
            fields[name] = new  # a model being built: frozen only once it is published
    given = model.__pydantic_fields_set__
    same = _FIELD_SETS.setdefault((type(model), frozenset(given)), given)
    if same is not given:
        _set(model, "__pydantic_fields_set__", same)
    try:
        key = (type(model), tuple((name, _key(item)) for name, item in fields.items()))
        return _PARTS.setdefault(key, model)
    except TypeError:  # a value with no hash: this part is kept as it is
        return model


def share_parts(bundle: BaseModel) -> None:
    """Share the parts of `bundle` (itself excepted) with the bundles already loaded."""
    for name, item in bundle.__dict__.items():
        new = _shared(item)
        if new is not item:
            bundle.__dict__[name] = new

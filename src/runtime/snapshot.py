"""Snapshots of an engine's state, for fast restart: load the last snapshot, replay the tail.

A snapshot is the engine's live state pickled, with the deadline closures on the agenda kept by
value (cloudpickle; dill for whatever else it cannot do). What the engine shares with every
engine of the same bundle is not written: the bundle and everything in it and the compiled
matcher are referred to by their path and taken from a fresh engine on restore (the fact
validators are rebuilt from their schemas), so a snapshot holds only what facts and time have
changed.

A snapshot is a cache, never the truth. It is used only when
- its sha256 is the one the ledger recorded (the ledger row is hash-chained),
- it was written by the same engine code (`fingerprint`) for the same matcher, and
- the events of the restored engine are the ones the ledger recorded up to that row.
Otherwise the store is replayed from the start, which gives the same state, only slower.
Only the `compiled` matcher can be snapshotted: the rete matcher's state lives in
durable-rules' C library.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import sys
from functools import cache
from pathlib import Path
from typing import Any

import cloudpickle
import dill
from pydantic import BaseModel

from clausec import ir
from runtime.engine import Engine

FORMAT = "clausec-snapshot/1"
SNAPSHOT_MATCHERS = ("compiled",)


class SnapshotError(Exception):
    """A snapshot that cannot be used; the caller replays instead."""


@cache
def fingerprint(matcher: str) -> str:
    """The engine code a snapshot belongs to: every runtime source file, Python, the picklers."""
    picklers = f"{dill.__version__}|{cloudpickle.__version__}"
    digest = hashlib.sha256(f"{FORMAT}|{matcher}|{sys.version}|{picklers}".encode())
    for source in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(source.as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _shared(engine: Engine) -> dict[str, Any]:
    """Path -> object for everything an engine shares with a fresh engine of its bundle."""
    found: dict[str, Any] = {"matcher": engine.matcher}
    _walk(engine.bundle, "bundle", found)
    return found


def _walk(value: Any, path: str, found: dict[str, Any]) -> None:
    if isinstance(value, BaseModel):
        found[path] = value
        for name in type(value).model_fields:
            _walk(getattr(value, name), f"{path}.{name}", found)
    elif isinstance(value, list | tuple):
        found[path] = value
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]", found)
    elif isinstance(value, dict):
        found[path] = value
        for key, item in value.items():
            _walk(item, f"{path}[{key!r}]", found)


class _Pickler(dill.Pickler):  # type: ignore[misc]
    def __init__(self, file: io.BytesIO, shared: dict[str, Any]) -> None:
        super().__init__(file, recurse=False)
        self.by_id = {id(obj): path for path, obj in shared.items()}

    def persistent_id(self, obj: Any) -> str | None:
        return self.by_id.get(id(obj))


class _Unpickler(dill.Unpickler):  # type: ignore[misc]
    def __init__(self, file: io.BytesIO, shared: dict[str, Any]) -> None:
        super().__init__(file)
        self.shared = shared

    def persistent_load(self, path: str) -> Any:
        try:
            return self.shared[path]
        except KeyError as error:
            raise SnapshotError(f"the snapshot refers to {path}, which the bundle lacks") from error


class _FastPickler(cloudpickle.Pickler):  # type: ignore[misc]
    """cloudpickle: the C pickler with closures kept by value (five times dill's speed on an
    engine). Whatever it cannot pickle, dill does."""

    def __init__(self, file: io.BytesIO, shared: dict[str, Any]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.by_id = {id(obj): path for path, obj in shared.items()}

    def persistent_id(self, obj: Any) -> str | None:
        return self.by_id.get(id(obj))


def take(engine: Engine) -> bytes:
    if engine.matcher.name not in SNAPSHOT_MATCHERS:
        raise SnapshotError(f"the {engine.matcher.name} matcher cannot be snapshotted")
    shared = _shared(engine)
    try:
        buffer = io.BytesIO()
        _FastPickler(buffer, shared).dump(engine)
    except (pickle.PicklingError, TypeError, AttributeError):
        buffer = io.BytesIO()
        _Pickler(buffer, shared).dump(engine)
    return buffer.getvalue()


def restore(bundle: ir.Bundle, matcher: str, blob: bytes) -> Engine:
    fresh = Engine(bundle, matcher)
    try:
        engine = _Unpickler(io.BytesIO(blob), _shared(fresh)).load()
    except SnapshotError:
        raise
    except Exception as error:  # any failure to unpickle means: replay instead
        raise SnapshotError(f"the snapshot cannot be read: {type(error).__name__}") from error
    if not isinstance(engine, Engine):
        raise SnapshotError("the snapshot does not hold an engine")
    return engine


def digest(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()

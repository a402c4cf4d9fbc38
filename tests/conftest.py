"""Shared fixtures: a real PostgreSQL server for the store tests, started once per run.

`store_url` runs a test on SQLite and on PostgreSQL, each with a fresh, empty store. The server
is started by `runtime.store.local_postgres` in a temporary folder. If it cannot be started
the PostgreSQL tests fail and say why: they never skip.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.store.local_postgres import LocalPostgres, PostgresUnavailable

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    try:
        server = LocalPostgres().start()
    except PostgresUnavailable as error:
        pytest.fail(f"the PostgreSQL store tests need a real server: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


def fresh_store_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return str(tmp_path / "store.db")
    server: LocalPostgres = request.getfixturevalue("postgres")
    return server.url(f"store_{next(_databases)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store: a SQLite file, or a new database on the test server."""
    return fresh_store_url(str(request.param), tmp_path, request)

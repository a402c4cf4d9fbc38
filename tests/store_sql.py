"""SQL on a store's own tables behind clausec's back, on SQLite or PostgreSQL: how the store
tests tamper with a ledger."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg


def execute(url: str, statement: str) -> list[tuple[Any, ...]]:
    """Run SQL on the store's own tables behind clausec's back."""
    if url.startswith("postgresql://"):
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("SET search_path TO clausec")
            cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else []
    with sqlite3.connect(url) as connection:
        return connection.execute(statement).fetchall()

"""A throwaway PostgreSQL server in a temporary folder, for the test suite and the benchmark.

    with LocalPostgres() as server:
        store = open_store(server.url("ledger_test"))

It runs the server binaries of the machine (`initdb`, `pg_ctl`) found on PATH, through
`pg_config --bindir`, or in Debian's /usr/lib/postgresql/<version>/bin. PostgreSQL refuses to
run as root, so under root the server runs as the `postgres` user that the server package
creates. The server listens on a Unix socket in its folder only, with trust authentication,
and is stopped and deleted on exit. When no server can be had, `PostgresUnavailable` says why
and how to install one; callers fail rather than skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

INSTALL_HINT = "install the server (Debian: apt-get install postgresql; .ci/run does this)"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started on this machine."""


def server_bindir() -> Path:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found and (Path(found) / "initdb").exists():
            return Path(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    raise PostgresUnavailable(
        f"no PostgreSQL server binaries (initdb, pg_ctl) found: {INSTALL_HINT}"
    )


class LocalPostgres:
    def __init__(self) -> None:
        self.bindir = server_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="clausec-pg-"))
        self.data = self.root / "data"
        self.user = self._server_user()

    def _server_user(self) -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        try:
            account = pwd.getpwnam("postgres")
        except KeyError as error:
            raise PostgresUnavailable(
                "PostgreSQL will not run as root and there is no 'postgres' user: " + INSTALL_HINT
            ) from error
        os.chown(self.root, account.pw_uid, account.pw_gid)
        return account

    def _run(self, *args: str) -> None:
        account = self.user

        def drop_root() -> None:
            if account is not None:
                os.setgid(account.pw_gid)
                os.setuid(account.pw_uid)

        done = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            check=False,
            preexec_fn=drop_root,  # the child drops to the server's user before exec
            env={**os.environ, "LC_ALL": "C", "HOME": str(self.root)},
        )
        if done.returncode != 0:
            said = done.stderr.strip() or done.stdout.strip()
            raise PostgresUnavailable(f"{args[0]} failed ({done.returncode}): {said}")

    def start(self) -> LocalPostgres:
        self._run("initdb", "-D", str(self.data), "-U", "clausec", "-A", "trust", "-E", "UTF8")
        options = f"-c listen_addresses='' -k {self.root} -c fsync=on -c max_connections=200"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            "-l",
            str(self.root / "server.log"),
        )
        return self

    def url(self, database: str = "postgres") -> str:
        """A libpq URL to `database`, created first when it does not exist."""
        import psycopg

        if database != "postgres":
            with psycopg.connect(self._url("postgres"), autocommit=True) as connection:
                exists = connection.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
                ).fetchone()
                if not exists:
                    connection.execute(f'CREATE DATABASE "{database}"')
        return self._url(database)

    def _url(self, database: str) -> str:
        return f"postgresql://clausec@/{database}?host={quote(str(self.root), safe='')}"

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

"""The database part of a backup: a consistent snapshot taken while the server writes.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database as of one
  read transaction; in WAL mode that transaction does not block writers, and the copy is a
  complete database file (no -wal to go with it).
- PostgreSQL: ``pg_dump`` in its custom format, which reads everything in one repeatable-read
  snapshot; ``pg_restore`` loads it. The binaries must be installed (``postgresql-client``);
  the server's major version must not be newer than theirs.

Credentials go to the PostgreSQL tools through ``PG*`` environment variables, never the
command line (which any local user can read in ``ps``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from nbopen.ops.manifest import BackupError, copy_out

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"


def settings() -> dict[str, Any]:
    from django.conf import settings as django_settings

    db: dict[str, Any] = django_settings.DATABASES["default"]
    return db


def kind(db: dict[str, Any]) -> str:
    engine = str(db["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"backups support SQLite and PostgreSQL, not {engine}")


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in {
        "HOST": "PGHOST",
        "PORT": "PGPORT",
        "USER": "PGUSER",
        "PASSWORD": "PGPASSWORD",
        "NAME": "PGDATABASE",
    }.items():
        if db.get(key):
            env[var] = str(db[key])
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: backups of a PostgreSQL database need the PostgreSQL "
            "client tools (Debian/Ubuntu: apt install postgresql-client)"
        )
    return path


def preflight(db: dict[str, Any]) -> None:
    """Fail before anything is written when the tools this database needs are missing."""
    if kind(db) == "postgresql":
        _pg_tool("pg_dump")
        _pg_tool("pg_restore")


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(command, env=env, capture_output=True, check=False)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip()[-1500:]
        raise BackupError(f"{what} failed: {message}")


def dump(db: dict[str, Any], backup_root: Path) -> str:
    """Write the snapshot into the backup directory; returns its relative path."""
    if kind(db) == "sqlite":
        source = sqlite3.connect(f"file:{db['NAME']}?mode=ro", uri=True, timeout=60)
        target = sqlite3.connect(backup_root / SQLITE_FILE)
        try:
            with target:
                source.backup(target)  # all pages in one step: one consistent read snapshot
        finally:
            target.close()
            source.close()
        return SQLITE_FILE
    command = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    _run([*command, f"--file={backup_root / PG_FILE}"], _pg_env(db), "pg_dump")
    return PG_FILE


# A database holds a deployment once it has a user or a repository; a migrated schema
# without either (``nbopen migrate`` or a first ``serve --no-demo``) holds nothing to keep.
OCCUPYING_TABLES = ("accounts_user", "repos_repository")


def is_empty(db: dict[str, Any]) -> bool:
    """True when the database has no tables, or a schema without users and repositories."""
    from django.db import connection

    tables = set(connection.introspection.table_names())
    if not tables:
        return True
    if not set(OCCUPYING_TABLES) <= tables:
        return False  # not NBopen's schema: someone else's data
    with connection.cursor() as cursor:
        for table in OCCUPYING_TABLES:
            quoted = connection.ops.quote_name(table)  # a constant of this module
            cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608
            (rows,) = cursor.fetchone()
            if rows:
                return False
    return True


def _drop_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")


def set_aside(db: dict[str, Any], aside: Path) -> list[str]:
    """Keep the current database in ``aside`` before a forced restore replaces it."""
    from django.db import connections

    aside.mkdir(parents=True, exist_ok=True)
    if kind(db) == "sqlite":
        connections.close_all()
        moved = []
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{db['NAME']}{suffix}")
            if path.exists():
                os.replace(path, aside / path.name)
                moved.append(str(aside / path.name))
        return moved
    target = aside / PG_FILE
    _run(
        [_pg_tool("pg_dump"), "--format=custom", f"--file={target}"],
        _pg_env(db),
        "pg_dump of the database being replaced",
    )
    _drop_tables()
    connections.close_all()
    return [str(target)]


def load(db: dict[str, Any], backup_root: Path, rel: str) -> None:
    from django.db import connections

    connections.close_all()
    if kind(db) == "sqlite":
        name = Path(db["NAME"])
        for suffix in ("-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
        copy_out(backup_root / rel, name)
        return
    # The target was found empty (or set aside): a schema migrated without data may be
    # there, and pg_restore creates every table itself.
    _drop_tables()
    connections.close_all()
    _run(
        [
            _pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={db['NAME']}",
            str(backup_root / rel),
        ],
        _pg_env(db),
        "pg_restore",
    )

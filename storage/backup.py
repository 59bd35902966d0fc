"""Backing up the store and restoring a backup.

SQLite: a copy through SQLite's online backup API (one read transaction: a consistent snapshot
while the bot goes on writing). PostgreSQL: `pg_dump --format=custom`, restored with
`pg_restore --clean --if-exists --no-owner` in one transaction. Settings (`.env`) are not part
of the database and so not of the backup.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path
from typing import IO, BinaryIO

from sqlalchemy import Engine, func, inspect, make_url, select, table, text

from storage.db import make_engine, sqlite_file, upgrade_schema
from storage.errors import UseCaseError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
CHUNK = 1 << 20
SCHEMA_TABLE = "alembic_version"  # every database of this assistant has it, even an empty one


class BackupError(UseCaseError):
    """A backup or a restore cannot be made; the message says why."""


def backup_database(url: str, out: BinaryIO) -> int:
    """Write a consistent backup of the database at `url` to `out`; returns the bytes written."""
    path = sqlite_file(url)
    if path is not None:
        return _sqlite_backup(path, out)
    if make_url(url).get_backend_name() != "postgresql":
        raise BackupError("only a SQLite file or a PostgreSQL database can be backed up")
    return _pg_dump(url, out)


def restore_database(url: str, source: Path, *, force: bool) -> dict[str, int]:
    """Replace the database at `url` by the backup in `source`; its rows per table after.

    A database that holds data is refused unless `force`: a restore replaces all of it.
    """
    engine = make_engine(url)
    try:
        sqlite = engine.dialect.name == "sqlite"
        _check_backup_kind(source, sqlite=sqlite)
        rows = {name: count for name, count in table_counts(engine).items() if name != SCHEMA_TABLE}
        if not force and any(rows.values()):
            held = ", ".join(f"{count} {name}" for name, count in rows.items() if count)
            raise BackupError(
                f"the database already holds data ({held}); a restore replaces all of it: "
                "give --force to do so"
            )
        if sqlite:
            _sqlite_restore(source, engine)
        else:
            # First: a newer table may hold a foreign key to one the restore drops and makes
            # again (the event log to the taxpayers), which pg_restore --clean cannot drop then.
            _drop_tables_not_in(_archive_tables(url, source), engine)
            _pg_restore(url, source)
        upgrade_schema(engine)  # a backup made by an older version gets the newer tables
        return table_counts(engine)
    finally:
        engine.dispose()


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the database, by table name."""
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in sorted(inspect(connection).get_table_names())
        }


def _check_backup_kind(source: Path, *, sqlite: bool) -> None:
    with source.open("rb") as backup:
        head = backup.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC if sqlite else PG_DUMP_MAGIC):
        return
    here = "SQLite" if sqlite else "PostgreSQL"
    if head.startswith(PG_DUMP_MAGIC if sqlite else SQLITE_MAGIC):
        there = "PostgreSQL" if sqlite else "SQLite"
        raise BackupError(f"{source} is a {there} backup; the configured database is {here}")
    raise BackupError(f"{source} is not a backup made by `ims backup` (of a {here} database)")


def _sqlite_backup(path: Path, out: BinaryIO) -> int:
    if not path.is_file():
        raise BackupError(f"the database file {path} does not exist")
    with tempfile.TemporaryDirectory(prefix="ims-backup-") as folder:
        copy = Path(folder) / "backup.db"
        try:
            with closing(sqlite3.connect(path)) as live, closing(sqlite3.connect(copy)) as target:
                live.execute("PRAGMA busy_timeout=10000")
                live.backup(target)  # all pages in one step: one snapshot
                # One self-contained file, with no -wal file beside it.
                target.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as exc:
            raise BackupError(f"SQLite could not copy {path}: {exc}") from None
        with copy.open("rb") as backup:
            return _copy(backup, out)


def _sqlite_restore(source: Path, engine: Engine) -> None:
    try:
        uri = f"{source.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as backup:
            tables = {name for (name,) in backup.execute("SELECT name FROM sqlite_master")}
            if SCHEMA_TABLE not in tables:
                raise BackupError(f"{source} is a SQLite database, but not one of this assistant")
            (check,) = backup.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise BackupError(f"{source} is damaged: {check}")
            connection = engine.raw_connection()
            try:
                target = connection.driver_connection
                assert isinstance(target, sqlite3.Connection)
                backup.backup(target)
            finally:
                connection.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not restore {source}: {exc}") from None


def _pg_dump(url: str, out: BinaryIO) -> int:
    dbname, env = _libpq(url)
    with tempfile.TemporaryFile() as errors:  # a pipe could fill up and stall the tool
        process = _start("pg_dump", "--format=custom", f"--dbname={dbname}", env=env, errors=errors)
        with process:
            assert process.stdout is not None
            try:
                written = _copy(process.stdout, out)
            except BaseException:
                process.kill()
                raise
        if process.returncode:
            errors.seek(0)
            raise BackupError(f"pg_dump failed: {_tool_error(errors.read())}")
    return written


def _pg_restore(url: str, source: Path) -> None:
    dbname, env = _libpq(url)
    command = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",  # all or nothing: a failed restore leaves the database as it was
        "--exit-on-error",
        f"--dbname={dbname}",
        str(source),
    ]
    with tempfile.TemporaryFile() as errors:
        process = _start(*command, env=env, errors=errors)
        with process:
            pass
        if process.returncode:
            errors.seek(0)
            raise BackupError(f"pg_restore failed: {_tool_error(errors.read())}")


def _archive_tables(url: str, source: Path) -> set[str]:
    """The tables a pg_dump archive holds, from its table of contents."""
    _, env = _libpq(url)
    with tempfile.TemporaryFile() as errors:
        process = _start("pg_restore", "--list", str(source), env=env, errors=errors)
        with process:
            assert process.stdout is not None
            contents = process.stdout.read().decode(errors="replace")
        if process.returncode:
            errors.seek(0)
            raise BackupError(f"pg_restore failed: {_tool_error(errors.read())}")
    # An entry reads "243; 1259 66837 TABLE public actionlog postgres".
    return {match[1] for match in re.finditer(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", contents, re.M)}


def _drop_tables_not_in(kept: set[str], engine: Engine) -> None:
    """pg_restore --clean replaces the tables of the backup only: tables a newer version added
    since would stay behind with their rows (or block the drop of a table they refer to), and
    the schema upgrade that follows would stumble on them. They go, and that upgrade makes them
    again, empty, as they were at backup time."""
    with engine.begin() as connection:
        quote = connection.dialect.identifier_preparer.quote
        for name in set(inspect(connection).get_table_names()) - kept:
            connection.execute(text(f"DROP TABLE IF EXISTS {quote(name)} CASCADE"))


def _start(*command: str, env: dict[str, str], errors: BinaryIO) -> subprocess.Popen[bytes]:
    """A PostgreSQL client tool, started with its output on a pipe and its errors in `errors`."""
    try:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed: install the PostgreSQL client tools "
            "(the server's version or newer)"
        ) from None


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq connection URL of a SQLAlchemy one, with its password moved to PGPASSWORD
    (a command line is visible to every user of the machine)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool_error(stderr: bytes) -> str:
    """The first error line a PostgreSQL tool printed."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line] or lines or ["no message"]
    return errors[0].split("error: ", 1)[-1]


def _copy(source: IO[bytes], out: IO[bytes]) -> int:
    written = 0
    while chunk := source.read(CHUNK):
        out.write(chunk)
        written += len(chunk)
    return written

"""`ims backup` and `ims restore` on SQLite and PostgreSQL: every row comes back as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, select, text

from ims_cli.main import main
from storage.db import MIGRATIONS, make_engine, transaction
from storage.deployment import shared_value
from tests.builders import SUPPLIER
from tests.storage_fixtures import BACKENDS, database_url

fresh_database = contextmanager(database_url)


@pytest.fixture
def ims(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Runs `ims ARGV` on the database at `url`; returns (exit code, stdout, stderr)."""

    def run(url: str, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setenv("IMS_DATABASE_URL", url)
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@contextmanager
def two_databases(backend: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A database to fill and back up, and a fresh empty one to restore into."""
    with (
        fresh_database(backend, tmp_path / "live") as live,
        fresh_database(backend, tmp_path / "restored") as restored,
    ):
        (tmp_path / "live").mkdir(exist_ok=True)
        (tmp_path / "restored").mkdir(exist_ok=True)
        yield live, restored


def fill(ims: Any, url: str, tmp_path: Path) -> str:
    """A store used as people use it: a GSTIN, an IMS download, actions, a bulk action, and a
    purchase register; returns the GSTIN."""
    demo = tmp_path / "demo"
    assert ims(url, "demo-data", "--out", str(demo), "--recipients", "1", "--records", "80")[0] == 0
    gstin = json.loads((demo / "manifest.json").read_text())["recipients"][0]["gstin"]
    assert ims(url, "taxpayer", "add", gstin, "--name", "Demo & Co", "--owner", "42")[0] == 0
    assert ims(url, "import", str(demo / "ims" / f"{gstin}.json"), "--gstin", gstin)[0] == 0
    assert ims(url, "import", str(demo / "register" / f"{gstin}.csv"), "--gstin", gstin)[0] == 0
    code, out, _ = ims(url, "--json", "inbox", "--gstin", gstin, "--kind", "b2b", "--limit", "2")
    assert code == 0
    for item, action in zip(json.loads(out)["items"], ["reject", "pending"], strict=True):
        code, _, err = ims(
            url, "act", "--gstin", gstin, "--supplier", item["supplier"], "--kind", "b2b",
            "--number", item["number"], "--action", action, "--remarks", "not ordered",
        )  # fmt: skip
        assert code == 0, err
    code, _, err = ims(
        url, "bulk", "--gstin", gstin, "--status", "no_action", "--action", "accept", "--yes"
    )
    assert code == 0, err
    return gstin


def every_row(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: [
                    tuple(row)
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_backup_restored_into_an_empty_database_holds_every_row(
    ims, backend: str, tmp_path: Path
) -> None:
    with two_databases(backend, tmp_path) as (live, restored):
        gstin = fill(ims, live, tmp_path)
        backup = tmp_path / "ims.backup"

        code, out, err = ims(live, "--json", "backup", "--out", str(backup))
        assert code == 0, err
        assert json.loads(out)["bytes"] == backup.stat().st_size > 0

        code, out, err = ims(restored, "--json", "restore", str(backup))
        assert code == 0, err
        rows = every_row(live)
        assert every_row(restored) == rows
        assert {name: len(table) for name, table in rows.items()} == json.loads(out)["tables"]
        assert len(rows["record"]) == 80 and len(rows["register_entry"]) > 0
        assert len(rows["actionlog"]) > 2 and len(rows["bulkaction"]) == 1

        # The restored store goes on working: new rows get fresh ids (sequences came along).
        assert ims(restored, "taxpayer", "add", SUPPLIER, "--name", "Sharma")[0] == 0
        code, out, _ = ims(restored, "--json", "inbox", "--gstin", gstin, "--status", "rejected")
        assert [item["number"] for item in json.loads(out)["items"]] != []


@pytest.mark.parametrize("backend", BACKENDS)
def test_restore_over_data_needs_force_and_then_replaces_it(
    ims, backend: str, tmp_path: Path
) -> None:
    with two_databases(backend, tmp_path) as (live, restored):
        fill(ims, live, tmp_path)
        backup = tmp_path / "ims.backup"
        assert ims(live, "backup", "--out", str(backup))[0] == 0
        assert ims(restored, "taxpayer", "add", SUPPLIER, "--name", "Sharma")[0] == 0

        code, out, err = ims(restored, "restore", str(backup))
        assert (code, out) == (2, "")
        # The registration wrote its audit event too (event_log).
        assert err == (
            "ims restore: the database already holds data (1 event_log, 1 taxpayer); a restore "
            "replaces all of it: give --force to do so\n"
        )

        code, out, err = ims(restored, "restore", str(backup), "--force")
        assert code == 0, err
        assert out.startswith(f"Restored {backup} into ")
        assert "  record: 80\n" in out
        assert every_row(restored) == every_row(live)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_backup_while_a_write_is_under_way_is_consistent(
    ims, backend: str, tmp_path: Path
) -> None:
    with two_databases(backend, tmp_path) as (live, restored):
        fill(ims, live, tmp_path)
        before = every_row(live)
        backup = tmp_path / "ims.backup"
        engine: Engine = make_engine(live)
        try:
            with engine.connect() as writer, writer.begin():  # the bot, mid-transaction
                writer.execute(text("UPDATE record SET version = version + 1"))
                writer.execute(text("DELETE FROM outbox"))
                code, _, err = ims(live, "backup", "--out", str(backup))
                assert code == 0, err
        finally:
            engine.dispose()
        assert ims(restored, "restore", str(backup))[0] == 0
        assert every_row(restored) == before


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_backup_made_by_an_older_version_is_restored_up_to_the_current_schema(
    ims, backend: str, tmp_path: Path
) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with two_databases(backend, tmp_path) as (older, restored):
        engine = make_engine(older)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
        engine.dispose()
        backup = tmp_path / "ims.backup"
        assert ims(older, "backup", "--out", str(backup))[0] == 0
        assert "deployment_value" not in every_row(older)  # a backup changes nothing

        code, out, err = ims(restored, "--json", "restore", str(backup))

        assert code == 0, err
        assert "deployment_value" in json.loads(out)["tables"]
        head = ScriptDirectory.from_config(config).get_current_head()
        assert every_row(restored)["alembic_version"] == [(head,)]
        first = every_row(restored)

        # Again, over a database of the current version that holds data: its tables the
        # older backup lacks do not stay behind with their rows.
        assert ims(restored, "taxpayer", "add", SUPPLIER, "--name", "Sharma")[0] == 0
        engine = make_engine(restored)
        with transaction(engine) as session:
            shared_value(session, key="webhook_path", make=lambda: "abc", now=datetime.now(UTC))
        engine.dispose()
        code, _, err = ims(restored, "restore", str(backup), "--force")
        assert code == 0, err
        assert every_row(restored) == first


@pytest.mark.parametrize("backend", BACKENDS)
def test_backup_to_a_missing_folder_or_a_full_disk_is_one_line(
    ims, backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path) as live:
        assert ims(live, "db", "upgrade")[0] == 0
        missing = tmp_path / "gone" / "ims.backup"
        assert ims(live, "backup", "--out", str(missing)) == (
            2,
            "",
            f"ims backup: {missing}: No such file or directory\n",
        )
        assert ims(live, "backup", "--out", "/dev/full") == (
            2,
            "",
            "ims backup: /dev/full: No space left on device\n",
        )


def test_a_backup_survives_a_failed_second_backup_under_its_name(
    ims, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with two_databases("sqlite", tmp_path) as (live, _):
        fill(ims, live, tmp_path)
        backup = tmp_path / "ims.backup"
        assert ims(live, "backup", "--out", str(backup))[0] == 0
        good = backup.read_bytes()

        def full_disk(*args: object, **kwargs: object) -> int:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr("ims_cli.backup_commands.backup_database", full_disk)
        assert ims(live, "backup", "--out", str(backup))[2] == (
            f"ims backup: {backup}: No space left on device\n"
        )
        assert backup.read_bytes() == good
        assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == ["ims.backup"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_file_that_is_not_a_backup_of_this_backend_is_refused(
    ims, backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path) as restored:
        other = tmp_path / "other.backup"
        other.write_bytes(b"PGDMP\x01" if backend == "sqlite" else b"SQLite format 3\x00")
        code, _, err = ims(restored, "restore", str(other))
        here, there = ("SQLite", "PostgreSQL") if backend == "sqlite" else ("PostgreSQL", "SQLite")
        assert (code, err) == (
            2,
            f"ims restore: {other} is a {there} backup; the configured database is {here}\n",
        )
        json_file = tmp_path / "ims.json"
        json_file.write_text("{}")
        assert ims(restored, "restore", str(json_file))[2] == (
            f"ims restore: {json_file} is not a backup made by `ims backup` (of a {here} "
            "database)\n"
        )
        assert ims(restored, "restore", "/dev/zero")[2] == (
            "ims restore: /dev/zero is not a regular file\n"
        )

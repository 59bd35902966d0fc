"""Whatever fails under an `ims` command, the person gets one line on stderr and exit status 2."""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url

import storage.db
from ims_cli.main import main
from ims_domain.formats.ims_writer import write_ims
from tests.builders import RECIPIENT, SUPPLIER
from tests.integration.store_helpers import invoices
from tests.storage_fixtures import POSTGRES_URL


@pytest.fixture
def ims(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path):
    """Runs `ims ARGV` on a SQLite file in tmp_path; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("IMS_DATABASE_URL", f"sqlite:///{tmp_path / 'ims.db'}")

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def one_line_error(result: tuple[int, str, str], command: str) -> str:
    """The error line of a failed command, after checking it is just that."""
    code, out, err = result
    assert (code, out) == (2, ""), err
    assert err.startswith(f"ims {command}: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_postgresql_server_that_is_not_there(ims, monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv("IMS_DATABASE_URL", f"postgresql+psycopg://ims:pw@127.0.0.1:{port}/ims")
    err = one_line_error(ims("inbox", "--gstin", RECIPIENT), "inbox")
    assert err.startswith(f"ims inbox: database postgresql+psycopg://ims:***@127.0.0.1:{port}/ims")
    assert "Connection refused" in err
    assert ":pw@" not in err


@pytest.mark.postgresql
def test_a_postgresql_database_that_does_not_exist(ims, monkeypatch: pytest.MonkeyPatch) -> None:
    if not POSTGRES_URL:
        pytest.skip("IMS_TEST_DATABASE_URL is not set")
    missing = make_url(POSTGRES_URL).set(database="ims_no_such_database")
    monkeypatch.setenv("IMS_DATABASE_URL", missing.render_as_string(hide_password=False))
    err = one_line_error(ims("taxpayer", "add", RECIPIENT, "--name", "Acme"), "taxpayer")
    assert 'database "ims_no_such_database" does not exist' in err


def test_a_sqlite_file_in_a_folder_that_does_not_exist(
    ims, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("IMS_DATABASE_URL", f"sqlite:///{tmp_path}/gone/ims.db")
    err = one_line_error(ims("inbox", "--gstin", RECIPIENT), "inbox")
    assert err == (
        f"ims inbox: IMS_DATABASE_URL sqlite:///{tmp_path}/gone/ims.db: "
        f"the folder {tmp_path}/gone does not exist\n"
    )


def test_a_database_url_nobody_can_read_is_named_not_a_traceback(
    ims, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMS_DATABASE_URL", "ims.db")
    err = one_line_error(ims("inbox", "--gstin", RECIPIENT), "inbox")
    assert err == "ims inbox: ArgumentError: Could not parse SQLAlchemy URL from given URL string\n"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_before_it_is_read(ims, device: str) -> None:
    assert ims("taxpayer", "add", RECIPIENT, "--name", "Acme")[0] == 0
    err = one_line_error(ims("import", device, "--gstin", RECIPIENT), "import")
    assert err == f"ims import: {device} is not a regular file\n"


def test_a_pipe_and_a_folder_are_refused_before_they_are_read(ims, tmp_path: Path) -> None:
    assert ims("taxpayer", "add", RECIPIENT, "--name", "Acme")[0] == 0
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    assert "is not a regular file" in one_line_error(
        ims("import", str(fifo), "--gstin", RECIPIENT), "import"
    )
    assert "is not a regular file" in one_line_error(
        ims("export-actions", "--gstin", RECIPIENT, "--mark-uploaded", str(tmp_path)),
        "export-actions",
    )


def test_a_file_over_the_size_limit_is_refused_by_its_size_before_it_is_read(
    ims, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ims("taxpayer", "add", RECIPIENT, "--name", "Acme")[0] == 0
    huge = tmp_path / "huge.json"
    with huge.open("wb") as sparse:  # 4 GB that take no disk: only reading them would cost
        sparse.truncate(4 * 1024**3)
    err = one_line_error(ims("import", str(huge), "--gstin", RECIPIENT), "import")
    assert err == f"ims import: {huge} is 4096.0 MB; the limit is 20 MB (IMS_MAX_FILE_MB)\n"

    monkeypatch.setenv("IMS_MAX_FILE_MB", "1")
    small_but_over = tmp_path / "ims.json"
    small_but_over.write_bytes(write_ims(invoices(3)).ljust(1024 * 1024 + 1, b" "))
    err = one_line_error(ims("import", str(small_but_over), "--gstin", RECIPIENT), "import")
    assert err == f"ims import: {small_but_over} is 1.0 MB; the limit is 1 MB (IMS_MAX_FILE_MB)\n"


def pending_upload(ims: Any, tmp_path: Path) -> None:
    """A registered GSTIN with one action the portal does not have yet."""
    assert ims("taxpayer", "add", RECIPIENT, "--name", "Acme")[0] == 0
    download = tmp_path / "ims.json"
    download.write_bytes(write_ims(invoices(3)))
    assert ims("import", str(download), "--gstin", RECIPIENT)[0] == 0
    act = ["--supplier", SUPPLIER, "--kind", "b2b", "--number", "INV-1", "--action", "accept"]
    assert ims("act", "--gstin", RECIPIENT, *act)[0] == 0


def test_writing_the_upload_to_a_full_disk(ims, tmp_path: Path) -> None:
    pending_upload(ims, tmp_path)
    err = one_line_error(
        ims("export-actions", "--gstin", RECIPIENT, "--out", "/dev/full"), "export-actions"
    )
    assert err == "ims export-actions: /dev/full: No space left on device\n"


def test_writing_the_upload_to_a_missing_folder_leaves_nothing(ims, tmp_path: Path) -> None:
    pending_upload(ims, tmp_path)
    out = tmp_path / "gone" / "upload.json"
    err = one_line_error(
        ims("export-actions", "--gstin", RECIPIENT, "--out", str(out)), "export-actions"
    )
    assert err == f"ims export-actions: {out}: No such file or directory\n"


def test_sqlite_database_or_disk_full_during_an_import(
    ims, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ims("taxpayer", "add", RECIPIENT, "--name", "Acme")[0] == 0
    pragmas = storage.db._sqlite_pragmas

    def no_room_to_grow(connection: sqlite3.Connection, record: Any) -> None:
        pragmas(connection, record)
        # The file may not grow by a page: SQLite answers as on a full disk (SQLITE_FULL).
        connection.execute("PRAGMA max_page_count = 1")

    monkeypatch.setattr(storage.db, "_sqlite_pragmas", no_room_to_grow)
    download = tmp_path / "ims.json"
    download.write_bytes(write_ims(invoices(300)))
    err = one_line_error(ims("import", str(download), "--gstin", RECIPIENT), "import")
    assert err == f"ims import: database sqlite:///{tmp_path}/ims.db: database or disk is full\n"


def test_an_unexpected_error_is_one_line_naming_its_type(
    ims, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the store fell over\nsecond line of detail")

    monkeypatch.setattr("ims_cli.store_commands.inbox_page", broken)
    assert ims("taxpayer", "add", RECIPIENT, "--name", "Acme")[0] == 0
    err = one_line_error(ims("inbox", "--gstin", RECIPIENT), "inbox")
    assert err == "ims inbox: RuntimeError: the store fell over\n"


def test_ctrl_c_is_one_line_and_the_usual_status_130(ims, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("ims_cli.store_commands.inbox_page", interrupted)
    assert ims("taxpayer", "add", RECIPIENT, "--name", "Acme")[0] == 0
    assert ims("inbox", "--gstin", RECIPIENT) == (130, "", "ims inbox: interrupted\n")


def test_a_file_error_keeps_the_words_that_name_the_setting(
    ims, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMS_DUE_DATE_OVERRIDES_FILE", "/no/such.toml")
    assert ims("calendar")[2] == (
        "ims calendar: IMS_DUE_DATE_OVERRIDES_FILE /no/such.toml: No such file or directory\n"
    )

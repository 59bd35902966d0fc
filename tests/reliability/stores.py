"""Databases for the kill tests: one template per test, and a fresh copy of it per kill.

A copy is a file copy on SQLite and `CREATE DATABASE … TEMPLATE` on PostgreSQL, so each kill
meets exactly the same store, and every database made here is dropped afterwards.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text

from storage.db import make_engine, upgrade_schema
from tests.storage_fixtures import POSTGRES_URL


class Databases:
    """A template database of one backend and the copies made of it."""

    def __init__(self, backend: str, folder: Path) -> None:
        """Name the template; nothing is created until `template_engine`."""
        self.backend = backend
        self.folder = folder
        self._copies: list[str] = []
        self._admin: Engine | None = None
        if backend == "sqlite":
            self.template_url = f"sqlite:///{folder / 'template.db'}"
            return
        if not POSTGRES_URL:
            pytest.skip("IMS_TEST_DATABASE_URL is not set")
        self._server = make_url(POSTGRES_URL)
        self._admin = make_engine(
            self._server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
        )
        self._prefix = f"ims_rel_{uuid.uuid4().hex[:10]}"
        self.template_url = self._create(f"{self._prefix}_tpl", template=None)

    @contextmanager
    def template_engine(self) -> Iterator[Engine]:
        """The migrated template, to fill; closed afterwards (a template must have no sessions)."""
        engine = make_engine(self.template_url)
        try:
            upgrade_schema(engine)
            yield engine
        finally:
            engine.dispose()

    def copy(self) -> str:
        """A fresh database equal to the template."""
        n = len(self._copies)
        if self.backend == "sqlite":
            target = self.folder / f"copy{n}.db"
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.folder / "template.db", target)
            url = f"sqlite:///{target}"
        else:
            url = self._create(f"{self._prefix}_{n}", template=f"{self._prefix}_tpl")
        self._copies.append(url)
        return url

    def drop(self, url: str) -> None:
        """Remove one copy."""
        if self.backend == "sqlite":
            path = Path(make_url(url).database or "")
            for name in (str(path), f"{path}-wal", f"{path}-shm"):
                Path(name).unlink(missing_ok=True)
        else:
            self._drop(make_url(url).database or "")

    def close(self) -> None:
        """Drop every database made here."""
        if self._admin is None:
            return
        for url in [*self._copies, self.template_url]:
            self._drop(make_url(url).database or "")
        self._admin.dispose()

    def _create(self, name: str, *, template: str | None) -> str:
        assert self._admin is not None
        source = f' TEMPLATE "{template}"' if template else ""
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{source}'))
        return self._server.set(database=name).render_as_string(hide_password=False)

    def _drop(self, name: str) -> None:
        assert self._admin is not None
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def databases(backend: str, folder: Path) -> Iterator[Databases]:
    """Databases of `backend` made from one template, all dropped at the end."""
    made = Databases(backend, folder)
    try:
        yield made
    finally:
        made.close()

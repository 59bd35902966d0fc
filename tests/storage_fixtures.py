"""Databases for storage tests: SQLite always, PostgreSQL when IMS_TEST_DATABASE_URL is set.

Each PostgreSQL test gets a database of its own, created and dropped around it, so parallel or
repeated runs never collide and nothing is left behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text

from storage.db import make_engine, upgrade_schema

POSTGRES_URL = os.environ.get("IMS_TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of `backend`, removed after use."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'ims.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("IMS_TEST_DATABASE_URL is not set")
    server = make_url(POSTGRES_URL)
    name = f"ims_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database on each backend."""
    yield from database_url(request.param, tmp_path)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh database with the whole schema migrated in."""
    engine = make_engine(db_url)
    upgrade_schema(engine)
    yield engine
    engine.dispose()

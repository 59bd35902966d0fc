"""Alembic environment: runs on the connection handed over by storage.db.upgrade_schema."""

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `ims db upgrade` (storage.db.upgrade_schema)")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite changes columns by copying the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

"""bulk previews kept for confirmation: the records and versions a member was shown

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_preview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taxpayer_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("remarks", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("applied_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["taxpayer_id"], ["taxpayer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bulk_preview", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulk_preview_created_at"), ["created_at"], unique=False
        )
    op.create_table(
        "bulk_preview_item",
        sa.Column("preview_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("preview_id", "record_id"),
    )


def downgrade() -> None:
    op.drop_table("bulk_preview_item")
    with op.batch_alter_table("bulk_preview", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_preview_created_at"))
    op.drop_table("bulk_preview")

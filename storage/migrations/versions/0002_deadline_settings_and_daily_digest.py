"""deadline settings per GSTIN, the daily digest, the s.16(4) reminder among muted reminders

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:52:33.179318
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deadline_settings",
        sa.Column("taxpayer_id", sa.Integer(), nullable=False),
        sa.Column("remind_2b_days", sa.JSON(), nullable=False),
        sa.Column("remind_3b_days", sa.Integer(), nullable=False),
        sa.Column("reminder_time", sa.Time(), nullable=False),
        sa.Column("quiet_from", sa.Time(), nullable=True),
        sa.Column("quiet_until", sa.Time(), nullable=True),
        sa.Column("pending_warn_days", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["taxpayer_id"], ["taxpayer.id"]),
        sa.PrimaryKeyConstraint("taxpayer_id"),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("daily_digest_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    # Whoever muted the deadline reminders (one switch mutes every reminder kind) keeps them
    # muted now that the s.16(4) reminder joins them.
    op.execute(
        "INSERT INTO mute (user_id, kind) "
        "SELECT user_id, 'reminder_s16_4' FROM mute WHERE kind = 'reminder_2b'"
    )


def downgrade() -> None:
    op.execute("DELETE FROM mute WHERE kind = 'reminder_s16_4'")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("daily_digest_since")
    op.drop_table("deadline_settings")

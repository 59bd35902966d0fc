"""when the portal first showed a record (records known only from a supplier's return have none)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("portal_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    # Records that came from a portal file, or that a download has described since, were seen
    # on the portal; only those known solely from a supplier's return stay unseen.
    op.execute(
        "UPDATE record SET portal_seen_at = created_at "
        "WHERE portal_action IS NOT NULL OR portal_hash IS NOT NULL OR batch_id IS NULL "
        "OR batch_id IN (SELECT id FROM importbatch WHERE format IN ('ims', 'gstr2b'))"
    )


def downgrade() -> None:
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.drop_column("portal_seen_at")

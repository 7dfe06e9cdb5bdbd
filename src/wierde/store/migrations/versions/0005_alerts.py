"""Indicator alert subscriptions and the last state each alert saw."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("indicator_id", sa.String(100), nullable=False, index=True),
        sa.Column("rule", sa.String(20), nullable=False),  # crosses-target | change | stale
        sa.Column("threshold", sa.Float(), nullable=True),  # change: percent
        sa.Column("region", sa.String(100), nullable=True),  # None: the indicator's default region
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        # The state the rule last saw and was delivered: an alert goes out only when the state changes.
        sa.Column("last_state", sa.String(200), nullable=True),
        sa.Column("last_state_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("alert_subscriptions")

"""connectors: secret fields (passwords, tokens) apart from the config, encrypted at rest with
the key in the data directory; a DataKit token stored in the config moves there

Revision ID: 0012_connector_secrets
Revises: 0011_cron_overrides
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0012_connector_secrets"
down_revision = "0011_cron_overrides"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("connectors", sa.Column("secrets", sa.Text(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, config FROM connectors")).fetchall()
    moving = []
    for connector_id, raw in rows:
        config = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        if config.get("token"):
            moving.append((connector_id, config))
    if not moving:
        return
    from cryptography.fernet import Fernet
    from flask import current_app

    fernet = Fernet(current_app.config["FUNCPAD_SECRETS_KEY"].encode())
    for connector_id, config in moving:
        token = config.pop("token")
        bind.execute(
            sa.text("UPDATE connectors SET config = :config, secrets = :secrets WHERE id = :id"),
            {
                "config": json.dumps(config),
                "secrets": fernet.encrypt(json.dumps({"token": token}).encode()).decode(),
                "id": connector_id,
            },
        )


def downgrade():
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.drop_column("secrets")

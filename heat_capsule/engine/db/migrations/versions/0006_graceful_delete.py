"""Graceful delete: a capsule's grace period and its stop deadline.

Revision ID: 0006
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'


def upgrade():
    with op.batch_alter_table('capsules') as batch:
        batch.add_column(sa.Column('termination_grace_period', sa.Integer,
                                   nullable=True))
        batch.add_column(sa.Column('stop_deadline', sa.DateTime,
                                   nullable=True))

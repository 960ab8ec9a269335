"""Volume names: the spec volume name a volume was created under.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'


def upgrade():
    with op.batch_alter_table('volumes') as batch:
        batch.add_column(sa.Column('name', sa.String(255), nullable=True))

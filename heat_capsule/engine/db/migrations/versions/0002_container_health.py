"""Container healthchecks and the health Docker reports.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'


def upgrade():
    with op.batch_alter_table('containers') as batch:
        batch.add_column(sa.Column('healthcheck', sa.JSON, nullable=True))
        batch.add_column(sa.Column('health_status', sa.String(16),
                                   nullable=True))
        batch.add_column(sa.Column('health_output', sa.Text, nullable=True))

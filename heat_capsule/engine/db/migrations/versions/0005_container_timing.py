"""What Docker's inspect says of a container's latest run: when it started
and finished, how often its restart policy restarted it, whether the OOM
killer ended it (status_detail is computed from these when read).

Revision ID: 0005
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'


def upgrade():
    with op.batch_alter_table('containers') as batch:
        batch.add_column(sa.Column('started_at', sa.DateTime, nullable=True))
        batch.add_column(sa.Column('finished_at', sa.DateTime,
                                   nullable=True))
        batch.add_column(sa.Column('restart_count', sa.Integer,
                                   nullable=True))
        batch.add_column(sa.Column('oom_killed', sa.Boolean, nullable=True))

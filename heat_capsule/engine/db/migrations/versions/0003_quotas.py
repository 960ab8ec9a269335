"""Per-project quotas, quota classes, the admission lock row, and the
index that quota and capacity sums read.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'


def _limits_table(name, owner_column):
    op.create_table(
        name,
        sa.Column('id', sa.Integer, primary_key=True),
        sa.Column(owner_column, sa.String(255), nullable=False, index=True),
        sa.Column('resource', sa.String(255), nullable=False),
        sa.Column('hard_limit', sa.BigInteger, nullable=False),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime, nullable=True),
        sa.UniqueConstraint(owner_column, 'resource'))


def upgrade():
    _limits_table('quotas', 'project_id')
    _limits_table('quota_classes', 'class_name')
    locks = op.create_table(
        'admission_locks',
        sa.Column('name', sa.String(64), primary_key=True),
        sa.Column('generation', sa.BigInteger, nullable=False))
    op.bulk_insert(locks, [{'name': 'host', 'generation': 0}])
    op.create_index('ix_capsules_usage', 'capsules',
                    ['project_id', 'cpu', 'memory'])

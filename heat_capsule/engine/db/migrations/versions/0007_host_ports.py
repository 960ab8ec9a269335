"""Host ports claimed by capsules (ports[].hostPort).

Revision ID: 0007
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'


def upgrade():
    op.create_table(
        'host_ports',
        sa.Column('id', sa.Integer, primary_key=True),
        sa.Column('capsule_id', sa.Integer,
                  sa.ForeignKey('capsules.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('port', sa.Integer, nullable=False),
        sa.Column('protocol', sa.String(3), nullable=False),
        sa.UniqueConstraint('port', 'protocol', name='uq_host_ports_port'))

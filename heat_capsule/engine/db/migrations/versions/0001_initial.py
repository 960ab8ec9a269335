"""Capsules, their containers, and volumes.

Revision ID: 0001
Revises:
"""

from alembic import op
import sqlalchemy as sa

revision = '0001'
down_revision = None


def _timestamps():
    return [sa.Column('created_at', sa.DateTime, nullable=False),
            sa.Column('updated_at', sa.DateTime, nullable=True)]


def upgrade():
    op.create_table(
        'capsules',
        sa.Column('id', sa.Integer, primary_key=True),
        sa.Column('uuid', sa.String(36), nullable=False, unique=True),
        sa.Column('name', sa.String(255), index=True),
        sa.Column('project_id', sa.String(255), nullable=False, index=True),
        sa.Column('user_id', sa.String(255), nullable=False),
        sa.Column('labels', sa.JSON, nullable=False),
        sa.Column('annotations', sa.JSON, nullable=False),
        sa.Column('restart_policy', sa.String(16), nullable=False),
        sa.Column('availability_zone', sa.String(255)),
        sa.Column('cpu', sa.Float, nullable=False),
        sa.Column('memory', sa.Integer, nullable=False),
        sa.Column('desired_state', sa.String(16), nullable=False,
                  index=True),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('status_reason', sa.Text),
        sa.Column('addresses', sa.JSON, nullable=False),
        sa.Column('hostname', sa.String(63)),
        sa.Column('volume_map', sa.JSON, nullable=False),
        sa.Column('template', sa.JSON, nullable=False),
        *_timestamps())
    op.create_table(
        'containers',
        sa.Column('id', sa.Integer, primary_key=True),
        sa.Column('uuid', sa.String(36), nullable=False, unique=True),
        sa.Column('capsule_id', sa.Integer,
                  sa.ForeignKey('capsules.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('role', sa.String(8), nullable=False),
        sa.Column('position', sa.Integer, nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('image', sa.String(255), nullable=False),
        sa.Column('command', sa.JSON, nullable=False),
        sa.Column('environment', sa.JSON, nullable=False),
        sa.Column('workdir', sa.String(255)),
        sa.Column('ports', sa.JSON, nullable=False),
        sa.Column('mounts', sa.JSON, nullable=False),
        sa.Column('cpu', sa.Float),
        sa.Column('memory', sa.Integer),
        sa.Column('tty', sa.Boolean, nullable=False),
        sa.Column('interactive', sa.Boolean, nullable=False),
        sa.Column('image_pull_policy', sa.String(16), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('status_reason', sa.Text),
        sa.Column('status_detail', sa.String(255)),
        sa.Column('exit_code', sa.Integer),
        *_timestamps())
    op.create_table(
        'volumes',
        sa.Column('id', sa.Integer, primary_key=True),
        sa.Column('uuid', sa.String(36), nullable=False, unique=True),
        sa.Column('project_id', sa.String(255), nullable=False, index=True),
        sa.Column('size', sa.Float),
        sa.Column('auto_remove', sa.Boolean, nullable=False),
        sa.Column('attached_to', sa.String(36), index=True),
        *_timestamps())

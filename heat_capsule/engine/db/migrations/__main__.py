"""Upgrade the database at the URL given as the only argument to HEAD."""

import os
import sys

from alembic import command
from alembic import config

import sqlalchemy as sa


def upgrade(url):
    cfg = config.Config()
    cfg.set_main_option('script_location', os.path.dirname(__file__))
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        cfg.attributes['connection'] = connection
        command.upgrade(cfg, 'head')
    engine.dispose()


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: python -m heat_capsule.engine.db.migrations URL')
    upgrade(sys.argv[1])

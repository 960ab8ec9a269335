"""The alembic chain and the HEAD the engine compares against agree."""

import os

from alembic import config
from alembic import script
import sqlalchemy as sa

from heat_capsule.engine.db import api as db_api
from heat_capsule.engine.db import migrations
from heat_capsule.engine.db import models


def test_head_constant_matches_the_chain():
    cfg = config.Config()
    cfg.set_main_option('script_location',
                        os.path.dirname(migrations.__file__))
    assert script.ScriptDirectory.from_config(cfg).get_current_head() == \
        migrations.HEAD


def test_upgrade_creates_the_models_tables(tmp_path):
    database = db_api.Database('sqlite:///%s/db.sqlite' % tmp_path)
    assert database.schema_revision() is None
    database.upgrade()
    assert database.schema_revision() == migrations.HEAD
    inspector = sa.inspect(database.engine)
    for table in models.Base.metadata.sorted_tables:
        columns = {c['name'] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    database.upgrade()   # idempotent


def test_an_existing_database_is_upgraded_with_its_rows(tmp_path):
    """A 0001 database (before healthchecks) keeps its capsules."""
    from alembic import command

    url = 'sqlite:///%s/db.sqlite' % tmp_path
    engine = sa.create_engine(url)
    cfg = config.Config()
    cfg.set_main_option('script_location',
                        os.path.dirname(migrations.__file__))
    with engine.begin() as connection:
        cfg.attributes['connection'] = connection
        command.upgrade(cfg, '0001')
        connection.execute(sa.text(
            "INSERT INTO capsules (uuid, project_id, user_id, labels, "
            "annotations, restart_policy, cpu, memory, desired_state, "
            "status, addresses, volume_map, template, created_at) VALUES "
            "('c1', 'p', 'u', '{}', '{}', 'always', 0, 0, 'running', "
            "'Running', '{}', '{}', '{}', '2026-01-01 00:00:00')"))
        connection.execute(sa.text(
            "INSERT INTO containers (uuid, capsule_id, role, position, "
            "name, image, command, environment, ports, mounts, tty, "
            "interactive, image_pull_policy, status, created_at) VALUES "
            "('k1', 1, 'app', 0, 'web', 'busybox', '[]', '{}', '[]', '[]', "
            "0, 0, 'ifnotpresent', 'Running', '2026-01-01 00:00:00')"))
    engine.dispose()

    database = db_api.Database(url)
    assert database.schema_revision() == '0001'
    database.upgrade()
    assert database.schema_revision() == migrations.HEAD
    capsule = database.get_capsule('c1')
    assert capsule.containers[0].name == 'web'
    assert capsule.containers[0].healthcheck is None

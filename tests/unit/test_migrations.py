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

"""Alembic environment: runs on the connection the engine hands over."""

from alembic import context

from heat_capsule.engine.db import models

config = context.config
connection = config.attributes.get('connection')
if connection is None:
    raise RuntimeError('heat-capsule migrations run through '
                       'heat_capsule.engine.db.api.Database.upgrade()')
context.configure(connection=connection,
                  target_metadata=models.Base.metadata,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

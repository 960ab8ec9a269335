"""Alembic migrations of the engine's database.

``python -m heat_capsule.engine.db.migrations URL`` upgrades a database to
HEAD; the engine runs it (in a child process) when its database is behind.
"""

# The newest revision in versions/ (a unit test keeps it in step).
HEAD = '0007'

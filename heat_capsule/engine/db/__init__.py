"""Persistence: SQLAlchemy 2 models, alembic migrations and the DB API."""

"""One database migrated per test session, copied into new test engines.

An engine on a fresh sqlite file first runs the alembic migrations in a
child process (``Database.upgrade``: an interpreter start and alembic's
import, 1.5-2 s on CI's machine), and the suite starts about a hundred such
engines. The helpers of :mod:`tests.support.engine` and
:mod:`tests.support.wsgi` put a copy of one database migrated once per test
process into the state directory they make, so the engine's own upgrade
finds it at the newest revision (one query): the state of any engine
restarted on its database. Migrating a fresh or an old database is tested
where that is the point (tests/unit/test_migrations.py,
tests/functional/test_network_upgrade.py, the installed wheel's engine in
tests/packaging/test_wheel.py), which do not use the copy.
"""

import atexit
import os
import shutil
import sqlite3
import tempfile
import threading

from heat_capsule.engine.db import api as db_api

FILE_NAME = 'engine.sqlite'   # the engine's default: <state_dir>/engine.sqlite

_lock = threading.Lock()
_migrated = []


def _migrated_path():
    with _lock:
        if not _migrated:
            directory = tempfile.mkdtemp(prefix='hc-schema-')
            atexit.register(shutil.rmtree, directory, True)
            path = os.path.join(directory, FILE_NAME)
            database = db_api.Database('sqlite:///' + path)
            database.upgrade()
            database.engine.dispose()
            _migrated.append(path)
        return _migrated[0]


def seed(state_dir):
    """Put a database at the newest schema in ``state_dir`` (a new state
    directory, with no database yet); returns its path."""
    target = os.path.join(state_dir, FILE_NAME)
    if os.path.exists(target):
        raise AssertionError('%s already has a database' % state_dir)
    source = sqlite3.connect(_migrated_path())
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return target

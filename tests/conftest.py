"""Checks over the whole test session, whichever suites it ran.

After the last test, :mod:`tests.support.leaks` looks for Docker objects
(containers, volumes, networks) labelled with the instance name of a test
engine this session started; it removes them and fails the run, naming
them (issue 22). Under pytest-xdist each worker checks its own engines.

:mod:`tests.support.schedule` orders the files for pytest-xdist (the long
ones first), registers the ``serial`` marker (tests tools/run-tests.sh
runs alone, after the parallel ones) and records durations.

Parametrized test ids never hold ``:``: gabbi's pytest plugin splits node
ids on ``::`` and cannot collect a session where one does (an IPv6 address
as a parameter did that), so ``:`` is spelt ``_`` in ids.
"""

from tests.support.leaks import pytest_sessionfinish  # noqa: F401
from tests.support.leaks import pytest_testnodedown  # noqa: F401
from tests.support.schedule import pytest_collection_modifyitems  # noqa: F401
from tests.support.schedule import pytest_configure  # noqa: F401
from tests.support.schedule import pytest_runtest_logreport  # noqa: F401


def pytest_make_parametrize_id(config, val, argname):
    if isinstance(val, str) and ':' in val:
        return val.replace(':', '_')
    return None

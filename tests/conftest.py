"""Checks over the whole test session, whichever suites it ran.

After the last test, :mod:`tests.support.leaks` looks for Docker objects
(containers, volumes, networks) labelled with the instance name of a test
engine this session started; it removes them and fails the run, naming
them (issue 22). The shared ``hc-test`` network is kept by design.
"""

from tests.support.leaks import pytest_sessionfinish  # noqa: F401

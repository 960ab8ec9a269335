"""Declarative API tests: every YAML file in tests/gabbits/ is a test group.

Each file runs against a real engine (WSGI app, sqlite, reconciler, Docker)
built by tests.functional.gabbi_fixtures.EngineFixture.
"""

import os

from gabbi import driver
# gabbi parametrizes this function with one case per YAML test.
from gabbi.driver import test_pytest  # noqa: F401

from tests.functional import gabbi_fixtures

GABBITS = os.path.join(os.path.dirname(__file__), '..', 'gabbits')
# errors.yaml sends this in a body larger than the fixture's 64 KiB limit.
os.environ.setdefault('HC_BIG_VALUE', 'x' * 70000)


def pytest_generate_tests(metafunc):
    driver.py_test_generator(
        GABBITS, intercept=gabbi_fixtures.app,
        fixture_module=gabbi_fixtures, metafunc=metafunc,
        test_loader_name=__name__)

"""How the suite is spread over pytest-xdist workers, and its durations.

tools/run-tests.sh runs the suite in two pytest sessions: a parallel one
(``-n N --dist loadfile``: every test file is one unit of work, so a
module's engine and Heat rig are made once) for every test not marked
``serial``, then a serial one for those that are (see :data:`SERIAL`).

Order: xdist hands the files out in collection order, and a long file
started last is the tail of the whole run. :func:`order` puts the files
of :data:`LONG_FIRST` first, longest first, the others after them in
their usual order.

Durations: with ``$HC_DURATIONS_FILE`` set, every test report (setup,
call, teardown) of a session that is not an xdist worker is appended to
it as a JSON line; ``python -m tests.support.schedule FILE`` prints the
counts and the slowest of all sessions together.
"""

import argparse
import collections
import json
import os
import sys

import pytest

# Test files that take the longest, longest first: seconds of setup, calls
# and teardowns together in a whole-suite run with 3 workers on a 2-core
# machine (the "slowest test files" the run prints); only their order
# matters. The files after these keep their usual order.
LONG_FIRST = (
    'tests/e2e/test_templates.py',                 # 120 s
    'tests/reliability/test_fuzz.py',              # 116 s, mostly CPU
    'tests/functional/test_heat_reliability.py',   # 116 s: Heat's 60 s timeout
    'tests/functional/test_quota_clients.py',      # 83 s
    'tests/packaging/test_wheel.py',               # 60 s: wheel, venv, pip
    'tests/functional/test_limits.py',
    'tests/e2e/test_openstack_cli.py',
    'tests/functional/test_graceful_delete.py',
    'tests/functional/test_heat_status.py',
    'tests/reliability/test_churn.py',
    'tests/reliability/test_crash.py',
    'tests/functional/test_api_gabbits.py',
    'tests/functional/test_heat_capsule.py',
    'tests/functional/test_database.py',
    'tests/e2e/test_stack_suspend.py',             # 37 s
    'tests/packaging/test_constraints.py',
    'tests/functional/test_docker_parity.py',
    'tests/e2e/test_capsule_lifecycle.py',
    'tests/functional/test_docker_driver.py',
    'tests/functional/test_isolation.py',
    'tests/functional/test_engine_recovery.py',
    'tests/reliability/test_docker_restart.py',
    'tests/functional/test_capsule_runtime.py',
    'tests/functional/test_clients.py',
    'tests/functional/test_container_logs.py',
    'tests/functional/test_volumes.py',
    'tests/e2e/test_dashboard.py',
    'tests/functional/test_heat_endpoints.py',
    'tests/functional/test_heat_suspend.py',
    'tests/e2e/test_quotas.py',
)

# The marker of tests that must have the machine's Docker and the
# all-in-one to themselves: tools/run-tests.sh runs them after the
# parallel session, one at a time (``-m serial``).
SERIAL = 'serial'

DURATIONS_ENV = 'HC_DURATIONS_FILE'


def _file_of(item):
    return item.nodeid.split('::', 1)[0]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """Long files first (see :data:`LONG_FIRST`); stable otherwise."""
    rank = {name: index for index, name in enumerate(LONG_FIRST)}
    last = len(LONG_FIRST)
    items[:] = sorted(items, key=lambda item: rank.get(_file_of(item), last))


def pytest_configure(config):
    config.addinivalue_line(
        'markers', '%s: needs the machine to itself; tools/run-tests.sh runs '
        'it after the parallel tests, alone' % SERIAL)


def pytest_runtest_logreport(report):
    path = os.environ.get(DURATIONS_ENV)
    if not path or os.environ.get('PYTEST_XDIST_WORKER'):
        return
    with open(path, 'a') as handle:
        handle.write(json.dumps({
            'nodeid': report.nodeid, 'when': report.when,
            'outcome': report.outcome,
            'duration': round(report.duration, 3)}) + '\n')


def summary(records):
    """``(counts, slowest)`` of report records: `counts` maps each test's
    outcome (``failed`` if any phase failed, ``skipped``, ``passed``) to
    how many tests had it; `slowest` is every record, longest first."""
    outcome = collections.OrderedDict()
    for record in records:
        nodeid, result = record['nodeid'], record['outcome']
        if result == 'failed':
            outcome[nodeid] = 'failed'
        elif result == 'skipped' and outcome.get(nodeid) != 'failed':
            outcome[nodeid] = 'skipped'
        elif record['when'] == 'call' and nodeid not in outcome:
            outcome[nodeid] = 'passed'
    counts = collections.Counter(outcome.values())
    slowest = sorted(records, key=lambda r: -r['duration'])
    return counts, slowest


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Counts and slowest durations of the test reports in '
        'FILE ($%s of tools/run-tests.sh).' % DURATIONS_ENV)
    parser.add_argument('file')
    parser.add_argument('--top', type=int, default=30)
    parser.add_argument('--files', type=int, default=15)
    args = parser.parse_args(argv)
    try:
        with open(args.file) as handle:
            records = [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        records = []        # no test ran
    counts, slowest = summary(records)
    print('slowest %d durations of the whole run' % args.top)
    for record in slowest[:args.top]:
        print('%.2fs %-8s %s' % (record['duration'], record['when'],
                                 record['nodeid']))
    files = collections.Counter()
    for record in records:
        files[record['nodeid'].split('::', 1)[0]] += record['duration']
    print('slowest %d test files (setup, calls and teardowns; LONG_FIRST in '
          'tests/support/schedule.py)' % args.files)
    for name, seconds in files.most_common(args.files):
        print('%.1fs %s' % (seconds, name))
    print('tests: %s' % ', '.join(
        '%d %s' % (counts[name], name)
        for name in ('passed', 'failed', 'skipped') if counts[name]))
    return 0


if __name__ == '__main__':
    sys.exit(main())

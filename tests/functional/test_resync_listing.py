"""The periodic resync lists Docker once for every capsule
(runtime/listing.py).

The engine talks to Docker through a proxy that keeps the path of each
request.  With capsules running quietly, resyncs (every 2 s here) must
show up as one engine-wide list call each, and no list filtered on one
capsule: that per-capsule call is what made a resync cost N walks of
Docker's containers for N capsules.  And a capsule observed from the
engine-wide list's entries looks exactly as when it lists itself.
"""

import pytest

from heat_capsule.engine.runtime import spec as rspec
from tests.functional import test_capsule_runtime as runtime_tests
from tests.functional.conftest import app
from tests.support import engine as engine_support

busybox = runtime_tests.busybox


def template(name, policy='Always'):
    return {'kind': 'capsule', 'metadata': {'name': name},
            'spec': {'restartPolicy': policy, 'containers': [
                busybox('main', ['sleep', '3600'])]}}


@pytest.fixture
def proxied(tmp_path):
    with engine_support.behind_proxy(str(tmp_path / 'docker.sock'),
                                     resync_interval=2) as both:
        yield both


def lists(proxy, since):
    """(engine-wide, per-capsule) container list paths after `since`."""
    paths = [path for method, path in proxy.paths[since:]
             if method == 'GET' and '/containers/json' in path]
    per_capsule = [p for p in paths if rspec.LABEL_CAPSULE + '=' in p]
    engine_wide = [p for p in paths if '"%s"' % rspec.LABEL_CAPSULE in p]
    return engine_wide, per_capsule


def test_a_resync_lists_once_for_all_capsules(proxied):
    proxy, engine = proxied
    uuids = [runtime_tests.create(engine, template('quiet-%d' % i))['uuid']
             for i in range(3)]
    for capsule_uuid in uuids:
        runtime_tests.wait_status(engine, capsule_uuid, 'Running')
    # One resync inspects what it never inspected (timestamps); from the
    # one after, a quiet capsule costs nothing but its share of the list.
    start = len(proxy.paths)
    assert engine_support.wait_for(
        lambda: len(lists(proxy, start)[0]) >= 2, timeout=30,
        what='two resyncs')
    start = len(proxy.paths)
    assert engine_support.wait_for(
        lambda: len(lists(proxy, start)[0]) >= 2, timeout=30,
        what='two more resyncs')
    engine_wide, per_capsule = lists(proxy, start)
    assert per_capsule == []
    for capsule_uuid in uuids:
        runtime_tests.delete_and_wait(engine, capsule_uuid)


def test_the_shared_list_observes_what_a_capsules_own_list_does(
        driver, new_capsule):
    """observe() from the engine-wide list's entries equals observe()
    listing the capsule itself, for running, exited and never-started
    containers (and an empty capsule: no entries, nothing observed)."""
    capsule = new_capsule([app('runs', 'sleep', '300'),
                           app('exits', 'sh', '-c', 'exit 3'),
                           app('idle', 'sleep', '300')],
                          restart_policy='never')
    driver.ensure_sandbox(capsule)
    runs, exits, idle = capsule.containers
    driver.start_container(capsule, runs)
    driver.start_container(capsule, exits)
    driver._create_container(capsule, idle, 'hc-%s-idle' % capsule.uuid,
                             driver.observe(capsule.uuid)['sandbox'].docker_id)
    assert engine_support.wait_for(
        lambda: driver.observe(capsule.uuid)[exits.uuid].status == 'Stopped',
        timeout=30, what='the exit')
    by_capsule = driver.list_capsules()
    for inspect_all in (False, True):
        shared = driver.observe(capsule.uuid, inspect_all=inspect_all,
                                entries=by_capsule[capsule.uuid])
        own = driver.observe(capsule.uuid, inspect_all=inspect_all)
        assert shared == own
        assert shared[exits.uuid].exit_code == 3
        assert {state.status for state in shared.values()} == {
            'Running', 'Stopped', 'Created'}
    empty = new_capsule([])
    assert empty.uuid not in by_capsule
    assert driver.observe(empty.uuid, entries=[]) == {}

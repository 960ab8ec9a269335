"""The create path overlaps Docker's waits (runtime/create_path.py).

What is checked is the order of Docker's own events for a capsule (read
back from the daemon, never timed): app containers created before the
sandbox's start event, each container created once, init containers still
run first, and nothing pre-created left behind when the sandbox cannot
start.  The speed itself is measured by bench/, not here.
"""

import concurrent.futures
import socket

import docker
import pytest

from heat_capsule.engine.runtime import create_path
from heat_capsule.engine.runtime.docker import state as docker_state
from heat_capsule.engine.runtime import spec as rspec
from tests.functional import test_capsule_runtime as runtime_tests
from tests.functional.conftest import app
from tests.support import docker_events
from tests.support import engine as engine_support

create = runtime_tests.create
wait_status = runtime_tests.wait_status
delete_and_wait = runtime_tests.delete_and_wait
labelled = runtime_tests.labelled
busybox = runtime_tests.busybox


@pytest.fixture(scope='module')
def client():
    return docker.from_env()


def follow(client, engine):
    """The events of the engine's containers from now on."""
    return docker_events.EventLog(
        client, '%s=%s' % (rspec.LABEL_ENGINE, engine.instance))


def events_of(log, capsule_uuid, *until):
    """[(role or container name, action)] of a capsule, in Docker's order,
    once every (who, action) of `until` is among them; closes `log`."""
    try:
        return [(who, action) for _, action, who, _ in log.events(
            capsule_uuid, [(action, who) for who, action in until])]
    finally:
        log.close()


def template(name, containers, init_containers=()):
    spec = {'containers': list(containers)}
    if init_containers:
        spec['initContainers'] = list(init_containers)
    return {'kind': 'capsule', 'metadata': {'name': name}, 'spec': spec}


def test_app_containers_are_created_before_the_sandbox_starts(engine,
                                                              client):
    log = follow(client, engine)
    capsule = create(engine, template('overlap', [
        busybox('one', ['sleep', '3600']),
        busybox('two', ['sleep', '3600'])]))
    wait_status(engine, capsule['uuid'], 'Running')
    events = events_of(log, capsule['uuid'], ('one', 'start'),
                       ('two', 'start'))
    sandbox_start = events.index(('sandbox', 'start'))
    for name in ('one', 'two'):
        assert events.count((name, 'create')) == 1, events
        assert events.index((name, 'create')) < sandbox_start, events
        assert events.index((name, 'start')) > sandbox_start, events
    # Joined to the sandbox's namespaces as before.
    sandbox = client.api.inspect_container('hc-%s' % capsule['uuid'])
    for name in ('one', 'two'):
        info = client.api.inspect_container('hc-%s-%s' % (capsule['uuid'],
                                                          name))
        assert info['HostConfig']['NetworkMode'] == \
            'container:%s' % sandbox['Id']
        assert info['State']['Running']
    delete_and_wait(engine, capsule['uuid'])


def test_init_containers_still_run_first(engine, client):
    log = follow(client, engine)
    capsule = create(engine, template(
        'overlap-init', [busybox('app', ['sleep', '3600'])],
        [busybox('first', ['true']), busybox('second', ['true'])]))
    wait_status(engine, capsule['uuid'], 'Running')
    events = events_of(log, capsule['uuid'], ('app', 'start'))
    sandbox_start = events.index(('sandbox', 'start'))
    # The first init container is made during the sandbox's start; the
    # second and the app only once the one before them exited.
    assert events.index(('first', 'create')) < sandbox_start, events
    assert events.index(('second', 'create')) > \
        events.index(('first', 'die')), events
    assert events.index(('app', 'create')) > \
        events.index(('second', 'die')), events
    delete_and_wait(engine, capsule['uuid'])


def test_a_sandbox_that_cannot_start_leaves_no_precreated_container(
        engine, client):
    log = follow(client, engine)
    with socket.socket() as held:
        held.bind(('127.0.0.1', 0))
        held.listen(1)
        port = held.getsockname()[1]
        capsule = create(engine, template('overlap-held', [busybox(
            'main', ['sleep', '3600'],
            ports=[{'containerPort': 7000, 'hostPort': port}])]))
        body = wait_status(engine, capsule['uuid'], 'Error')
    assert 'already in use' in body['status_reason'], body
    events = events_of(log, capsule['uuid'], ('main', 'destroy'))
    # It was made while the sandbox started, and removed after its failure.
    assert ('main', 'create') in events, events
    assert events.index(('main', 'destroy')) > \
        events.index(('main', 'create')), events
    assert labelled(client, capsule['uuid']) == []
    delete_and_wait(engine, capsule['uuid'])


def test_a_network_removed_behind_the_engines_back_is_made_again(
        driver, new_capsule, client):
    """The remembered project network is only a shortcut.  Docker creates
    a sandbox on a missing network and refuses only its start: the first
    pass then undoes what it made and forgets the network; the next pass
    (the reconciler's ordinary path, or here a first pass again) makes
    the network anew and succeeds."""
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        first = new_capsule([app('main', 'sleep', '300')])
        assert create_path.launch(driver, first, pool).complete
        network = driver.ensure_network(first.project_id)
        driver.remove_capsule(first.uuid)
        client.api.remove_network(network.id)

        second = new_capsule([app('main', 'sleep', '300')])
        assert create_path.launch(driver, second, pool) is None
        assert driver.observe(second.uuid) == {}     # nothing half-made
        launched = create_path.launch(driver, second, pool)
    assert launched.complete
    assert launched.sandbox.status == 'Running'
    assert [s.status for s in launched.started.values()] == ['Running']
    again = driver.ensure_network(second.project_id)
    assert again.id != network.id
    assert launched.addresses[0].network_id == again.id


def test_launch_leaves_an_existing_sandbox_to_the_ordinary_path(
        driver, new_capsule):
    """A second first pass (a crash after the sandbox's create) does
    nothing: ensure_sandbox and start_container finish the create."""
    capsule = new_capsule([app('main', 'sleep', '300')])
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert create_path.launch(driver, capsule, pool) is not None
        assert create_path.launch(driver, capsule, pool) is None
    assert engine_support.wait_for(
        lambda: driver.observe(capsule.uuid)[capsule.containers[0].uuid]
        .status == 'Running', timeout=30, what='running')


def test_launch_writes_running_without_inspecting_what_it_started(
        driver, new_capsule, client):
    """On the way to Running the first pass inspects the sandbox once (its
    state and its addresses) and no container it started: Docker's
    acknowledged start is the evidence (docker_state.just_started)."""
    healthcheck = rspec.Healthcheck(cmd='true', interval=1, timeout=1,
                                    retries=1, start_period=0)
    capsule = new_capsule([app('one', 'sleep', '300'),
                           app('two', 'sleep', '300',
                               healthcheck=healthcheck)])
    api = driver._api
    inspected = []

    def inspect_container(ident):
        inspected.append(ident)
        return type(api).inspect_container(api, ident)
    api.inspect_container = inspect_container     # recorded, then passed on
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            launched = create_path.launch(driver, capsule, pool)
    finally:
        del api.inspect_container
    assert launched.complete
    sandbox = client.api.inspect_container('hc-%s' % capsule.uuid)
    assert inspected == [sandbox['Id']]
    assert launched.sandbox.status == 'Running'
    assert launched.addresses == driver.addresses(capsule.uuid) != []
    one, two = capsule.containers
    for container in capsule.containers:
        state = launched.started[container.uuid]
        docker_view = client.api.inspect_container(state.docker_id)
        assert docker_view['State']['Running']
        assert docker_view['Config']['Labels'][rspec.LABEL_CONTAINER] == \
            container.uuid
        assert (state.status, state.restart_count, state.exit_code,
                state.role) == ('Running', 0, None, 'app')
        assert state.started_at is not None
    assert launched.started[one.uuid].health is None
    assert launched.started[two.uuid].health == 'starting'
    assert launched.started[two.uuid].status_detail.endswith(
        '(health: starting)')


def test_the_record_gets_dockers_own_start_time(engine, client):
    """Running is written with the engine's clock; the capsule's next sync
    (here the periodic resync, every 5 s in the test engine) inspects its
    containers and records Docker's StartedAt."""
    capsule = create(engine, template('started-at', [
        busybox('main', ['sleep', '3600'])]))
    wait_status(engine, capsule['uuid'], 'Running')
    info = client.api.inspect_container('hc-%s-main' % capsule['uuid'])
    docker_started = str(docker_state.parse_time(
        info['State']['StartedAt']).replace(tzinfo=None))

    def recorded():
        body = runtime_tests.show(engine, capsule['uuid']).json()
        return body['containers'][0]['started_at']
    assert engine_support.wait_for(
        lambda: recorded() == docker_started, timeout=30,
        what="Docker's StartedAt recorded"), (recorded(), docker_started)
    delete_and_wait(engine, capsule['uuid'])


def test_a_creates_own_start_events_queue_no_sync(tmp_path, client):
    """The 'start' events of what the create pass started bring no sync:
    the pass recorded Running itself (create_path.OwnStarts).  Docker's
    calls go through a proxy that keeps their paths; a later 'die' event
    of another capsule, once the engine shows it, proves the first
    capsule's events were read by then."""
    with engine_support.behind_proxy(str(tmp_path / 'docker.sock'),
                                     resync_interval=3600) as (proxy,
                                                               engine):
        first = create(engine, template('quiet', [
            busybox('main', ['sleep', '3600'])]))
        wait_status(engine, first['uuid'], 'Running')
        fence = create(engine, {
            'kind': 'capsule', 'metadata': {'name': 'fence'},
            'spec': {'restartPolicy': 'Never', 'containers': [
                busybox('main', ['sleep', '3600'])]}})
        wait_status(engine, fence['uuid'], 'Running')
        client.api.kill('hc-%s-main' % fence['uuid'])
        assert engine_support.wait_for(
            lambda: runtime_tests.show(engine, fence['uuid']).json()[
                'status'] != 'Running', timeout=60,
            what="the fence capsule's exit recorded")
        # The die did bring a sync, which lists the capsule's containers.
        assert any(fence['uuid'] in path for method, path in proxy.paths
                   if method == 'GET' and '/containers/json' in path)
        looked_up = [path for method, path in proxy.paths
                     if method == 'GET' and first['uuid'] in path]
        assert looked_up == []
        delete_and_wait(engine, first['uuid'])
        delete_and_wait(engine, fence['uuid'])

"""Pause and unpause (engine extension) on the real engine and Docker.

Docker's own word is the proof: ``docker inspect`` State.Paused of each
app container (the sandbox stays running, see runtime/freezer.py), and
StartedAt unchanged (the reconciler restarted nothing). A paused capsule
stays paused across an engine restart, a container thawed behind the
engine's back while it was down is frozen again, and a paused capsule can
be deleted.
"""

import time

import docker
import pytest
import requests

from heat_capsule.engine.runtime import spec as rspec
from tests.support import capsule_api
from tests.support import engine as engine_support

HEADERS = capsule_api.HEADERS
TEMPLATE = {'kind': 'capsule', 'metadata': {'name': 'pausable'}, 'spec': {
    'restartPolicy': 'Always',
    'containers': [
        {'name': 'ticker', 'image': 'busybox',
         'command': ['sh', '-c', 'while true; do date; sleep 0.2; done']},
        {'name': 'idle', 'image': 'busybox', 'command': ['sleep', '3600']}]}}


@pytest.fixture
def client():
    engine_support.ensure_test_images()
    return docker.from_env()


@pytest.fixture
def engine():
    engine = engine_support.EngineProcess(resync_interval=1).start()
    yield engine
    engine.stop()
    engine_support.remove_everything(engine.driver())


def call(engine, method, path, expect):
    resp = requests.request(method, engine.url + path, headers=HEADERS,
                            timeout=10,
                            json={'template': TEMPLATE}
                            if method == 'POST' and path == '/v1/capsules'
                            else None)
    assert resp.status_code == expect, resp.text
    return resp


def show(engine, capsule_uuid):
    return call(engine, 'GET', '/v1/capsules/' + capsule_uuid, 200).json()


def wait_status(engine, capsule_uuid, status, timeout=60):
    engine_support.wait_for(
        lambda: show(engine, capsule_uuid)['status'] == status,
        timeout=timeout, what='capsule %s' % status)


def docker_states(client, capsule_uuid):
    """role:name -> docker State dict, for every container of the capsule."""
    states = {}
    for container in client.containers.list(all=True, filters={
            'label': '%s=%s' % (rspec.LABEL_CAPSULE, capsule_uuid)}):
        container.reload()
        role = container.labels[rspec.LABEL_ROLE]
        states['%s:%s' % (role, container.name)] = container.attrs['State']
    return states


def apps(states):
    return {k: v for k, v in states.items() if k.startswith('app:')}


def create_running(engine):
    capsule_uuid = call(engine, 'POST', '/v1/capsules', 202).json()['uuid']
    wait_status(engine, capsule_uuid, 'Running')
    return capsule_uuid


def test_pause_freezes_every_app_container_and_unpause_thaws(engine,
                                                             client):
    capsule_uuid = create_running(engine)
    before = docker_states(client, capsule_uuid)
    assert len(apps(before)) == 2

    call(engine, 'POST', '/v1/capsules/%s/pause' % capsule_uuid, 202)
    wait_status(engine, capsule_uuid, 'Paused', timeout=20)
    states = docker_states(client, capsule_uuid)
    for name, state in apps(states).items():
        assert state['Paused'] is True, (name, state)
        assert state['Status'] == 'paused', (name, state)
    sandbox = [s for k, s in states.items() if k.startswith('sandbox:')]
    assert sandbox and sandbox[0]['Running'] and not sandbox[0]['Paused']
    body = show(engine, capsule_uuid)
    assert {c['status'] for c in body['containers']} == {'Paused'}

    # Several resyncs (resync_interval = 1 s): still frozen, nothing
    # restarted, still Paused.
    time.sleep(4)
    assert show(engine, capsule_uuid)['status'] == 'Paused'
    states = docker_states(client, capsule_uuid)
    for name, state in apps(states).items():
        assert state['Paused'] is True, (name, state)
        assert state['StartedAt'] == before[name]['StartedAt'], name
    call(engine, 'POST', '/v1/capsules/%s/pause' % capsule_uuid, 409)

    call(engine, 'POST', '/v1/capsules/%s/unpause' % capsule_uuid, 202)
    wait_status(engine, capsule_uuid, 'Running', timeout=20)
    states = docker_states(client, capsule_uuid)
    for name, state in apps(states).items():
        assert state['Paused'] is False and state['Running'], (name, state)
        assert state['StartedAt'] == before[name]['StartedAt'], name
    call(engine, 'POST', '/v1/capsules/%s/unpause' % capsule_uuid, 409)


def test_paused_capsule_stays_paused_across_engine_restart(engine, client):
    capsule_uuid = create_running(engine)
    call(engine, 'POST', '/v1/capsules/%s/pause' % capsule_uuid, 202)
    wait_status(engine, capsule_uuid, 'Paused', timeout=20)
    before = docker_states(client, capsule_uuid)

    engine.kill(9)
    # Thawed behind the engine's back while it is down.
    thawed = sorted(apps(before))[0].split(':', 1)[1]
    client.containers.get(thawed).unpause()
    assert docker_states(client, capsule_uuid)['app:' + thawed][
        'Paused'] is False
    engine.start()

    def all_frozen():
        states = apps(docker_states(client, capsule_uuid))
        return all(s['Paused'] for s in states.values())
    engine_support.wait_for(all_frozen, timeout=30,
                            what='every app container frozen again')
    time.sleep(3)     # a few resyncs later: still so
    body = show(engine, capsule_uuid)
    assert body['status'] == 'Paused', body
    states = docker_states(client, capsule_uuid)
    for name, state in apps(states).items():
        assert state['Paused'] is True, (name, state)
        assert state['StartedAt'] == before[name]['StartedAt'], name

    call(engine, 'POST', '/v1/capsules/%s/unpause' % capsule_uuid, 202)
    wait_status(engine, capsule_uuid, 'Running', timeout=20)
    assert not any(s['Paused'] for s in
                   apps(docker_states(client, capsule_uuid)).values())


def test_delete_of_a_paused_capsule(engine, client):
    capsule_uuid = create_running(engine)
    call(engine, 'POST', '/v1/capsules/%s/pause' % capsule_uuid, 202)
    wait_status(engine, capsule_uuid, 'Paused', timeout=20)
    call(engine, 'DELETE', '/v1/capsules/' + capsule_uuid, 204)
    engine_support.wait_for(
        lambda: requests.get(engine.url + '/v1/capsules/' + capsule_uuid,
                             headers=HEADERS, timeout=10).status_code == 404,
        timeout=30, what='the paused capsule deleted')
    assert docker_states(client, capsule_uuid) == {}

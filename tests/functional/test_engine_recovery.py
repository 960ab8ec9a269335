"""The engine survives its own crashes and Docker going away.

Crash: SIGKILL in the middle of creates and deletes, then a restart on the
same database; every capsule converges and Docker holds exactly what the
database says (no orphans, nothing lost).
Docker down: the API stays up, creates wait with a clear reason, and the
engine recovers when Docker returns.
"""

import os
import time

import docker
import pytest
import requests

from heat_capsule.engine.runtime import spec as rspec
from tests.support import capsule_api
from tests.support import docker_proxy
from tests.support import engine as engine_support

HEADERS = capsule_api.HEADERS


def template(name, init_sleep=0):
    spec = {'containers': [{'name': 'main', 'image': 'busybox',
                            'command': ['sleep', '3600']}]}
    if init_sleep:
        spec['initContainers'] = [{'name': 'slow', 'image': 'busybox',
                                   'command': ['sleep', str(init_sleep)]}]
    return {'kind': 'capsule', 'metadata': {'name': name}, 'spec': spec}


def post(url, body):
    resp = requests.post(url + '/v1/capsules', json={'template': body},
                         headers=HEADERS, timeout=10)
    assert resp.status_code == 202, resp.text
    return resp.json()['uuid']


def capsules(url):
    resp = requests.get(url + '/v1/capsules', headers=HEADERS, timeout=10)
    return {c['uuid']: c for c in resp.json()['capsules']}


def docker_capsules(client, instance):
    """capsule uuid -> container names, for one engine instance."""
    found = {}
    # ignore_removed: the engine may remove one between Docker's list and
    # the SDK's inspect of each (what some callers wait for).
    for container in client.containers.list(
            all=True, ignore_removed=True, filters={
                'label': '%s=%s' % (rspec.LABEL_ENGINE, instance)}):
        capsule_uuid = container.labels[rspec.LABEL_CAPSULE]
        found.setdefault(capsule_uuid, set()).add(container.name)
    return found


@pytest.fixture
def client():
    engine_support.ensure_test_images()
    return docker.from_env()


def test_sigkill_during_creates_and_deletes_converges(client):
    engine = engine_support.EngineProcess().start()
    try:
        created = [post(engine.url, template('crash-%d' % i, init_sleep=2))
                   for i in range(6)]
        time.sleep(0.5)
        engine.kill(9)          # mid-create: init containers running
        engine.start()

        def all_running():
            listed = capsules(engine.url)
            return all(listed[u]['status'] == 'Running' for u in created)
        try:
            engine_support.wait_for(all_running, timeout=90,
                                    what='every capsule Running after '
                                         'restart')
        except AssertionError:
            listed = capsules(engine.url)
            raise AssertionError('not all Running: %s (state in %s)' % (
                {u: (listed[u]['status'], listed[u]['status_reason'],
                     [c['status'] for c in listed[u]['init_containers']])
                 for u in created}, engine.state_dir))

        doomed = created[:3]
        for capsule_uuid in doomed:
            resp = requests.delete(engine.url + '/v1/capsules/' +
                                   capsule_uuid, headers=HEADERS, timeout=10)
            assert resp.status_code == 204
        engine.kill(9)          # mid-delete
        engine.start()

        def deletes_finished():
            return not set(doomed) & set(capsules(engine.url))
        engine_support.wait_for(deletes_finished, timeout=60,
                                what='deletes finished after restart')

        listed = capsules(engine.url)
        assert set(listed) == set(created[3:])
        in_docker = docker_capsules(client, engine.instance)
        assert set(in_docker) == set(listed), 'orphans or losses in Docker'
        for capsule_uuid in listed:
            # sandbox + init + app, nothing more, nothing less
            assert len(in_docker[capsule_uuid]) == 3
    finally:
        engine.stop()
        engine_support.remove_everything(engine.driver())


def test_leftovers_of_unknown_capsules_are_removed(client):
    """Docker objects labelled for this engine but absent from its database
    (for example after the database was restored) are cleaned up."""
    engine = engine_support.EngineProcess().start()
    try:
        capsule_uuid = post(engine.url, template('leftover'))
        engine_support.wait_for(
            lambda: capsules(engine.url)[capsule_uuid]['status'] ==
            'Running', timeout=60, what='Running')
        engine.kill(9)
        os.unlink(os.path.join(engine.state_dir, 'engine.sqlite'))
        engine.start()
        engine_support.wait_for(
            lambda: capsule_uuid not in docker_capsules(client,
                                                        engine.instance),
            timeout=30, what='leftover containers removed')
    finally:
        engine.stop()
        engine_support.remove_everything(engine.driver())


def test_docker_down_then_back(client, tmp_path):
    proxy = docker_proxy.DockerProxy(str(tmp_path / 'docker.sock')).start()
    engine = engine_support.EngineProcess(
        extra_conf='docker_url = %s\n' % proxy.url).start()
    try:
        before = post(engine.url, template('before'))
        engine_support.wait_for(
            lambda: capsules(engine.url)[before]['status'] == 'Running',
            timeout=60, what='Running')

        proxy.stop()            # Docker "goes down"
        during = post(engine.url, template('during'))

        def waiting():
            body = capsules(engine.url)[during]
            return body['status'] == 'Creating' and 'Docker' in (
                body['status_reason'] or '')
        engine_support.wait_for(waiting, timeout=20,
                                what='a clear reason while Docker is down')
        # The API keeps answering for what it already knows.
        assert capsules(engine.url)[before]['status'] == 'Running'

        proxy.start()           # and comes back
        engine_support.wait_for(
            lambda: capsules(engine.url)[during]['status'] == 'Running',
            timeout=60, what='create finished once Docker returned')
    finally:
        engine.stop()
        proxy.start()
        engine_support.remove_everything(engine.driver())
        proxy.stop()

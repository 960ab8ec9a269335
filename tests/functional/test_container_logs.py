"""Container logs through the real clients, against a running engine.

python-zunclient's ``containers.logs()`` and the real ``openstack
appcontainer logs <container uuid>`` read the logs of a capsule's app and
init containers from a ``heat-capsule-engine`` process on 127.0.0.1
(noauth, as in test_clients.py): the streams, tail, timestamps, since, the
errors the clients turn into exceptions and messages, and the full log of
an init container that failed, readable until its capsule is deleted.
"""

import datetime
import json
import os
import re

import docker
from oslo_config import cfg
import pytest
import webob
from zunclient import exceptions as zun_exc

from heat_capsule.engine import cmd
from heat_capsule.engine import deploy
from heat_capsule.engine.runtime import spec
from heat_capsule.engine import service
from tests.functional.test_clients import openstack
from tests.functional.test_clients import zun
from tests.support import engine as engine_support

FULL = 'out-one\nout-two\nerr-one\n'
INIT_LINES = ['step-%d' % i for i in range(1, 31)]
TIMESTAMP = r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z'

APP = {
    'kind': 'capsule',
    'metadata': {'name': 'logs-client-app'},
    'spec': {
        'initContainers': [{'name': 'prepare', 'image': 'busybox',
                            'command': ['sh', '-c', 'echo init-done']}],
        # The pause keeps stderr's line after stdout's: Docker reads the
        # two pipes separately.
        'containers': [{'name': 'talker', 'image': 'busybox',
                        'command': ['sh', '-c',
                                    'echo out-one; echo out-two; sleep 1; '
                                    'echo err-one >&2; sleep 3600']}]},
}
BAD_INIT = {
    'kind': 'capsule',
    'metadata': {'name': 'logs-client-badinit'},
    'spec': {
        'initContainers': [{'name': 'migrate', 'image': 'busybox',
                            'command': ['sh', '-c',
                                        'for i in $(seq 1 30); do echo '
                                        'step-$i; done; sleep 1; echo '
                                        'giving up >&2; exit 3']}],
        'containers': [{'name': 'app', 'image': 'busybox',
                        'command': ['sleep', '3600']}]},
}


def _wait_status(client, uuid, status, init_status=None):
    def reached():
        shown = client.capsules.get(uuid)
        if init_status and any(c['status'] != init_status
                               for c in shown.init_containers):
            return None
        return shown if shown.status == status else None
    return engine_support.wait_for(reached, timeout=90,
                                   what='capsule %s %s' % (uuid, status))


def _delete_and_wait(client, uuid):
    try:
        client.capsules.delete(uuid)
    except zun_exc.NotFound:
        return

    def gone():
        try:
            client.capsules.get(uuid)
        except zun_exc.NotFound:
            return True
        return False
    engine_support.wait_for(gone, timeout=60, what='capsule %s gone' % uuid)


@pytest.fixture(scope='module')
def client(engine):
    return zun(engine)


@pytest.fixture(scope='module')
def app_capsule(engine, client):
    created = client.capsules.create(template=APP)
    try:
        # An init container that exits at once can show Deleted until the
        # next sync (the create pass records the app containers it started
        # but not the init container it started); its Docker container and
        # its log are there all along.
        shown = _wait_status(client, created.uuid, 'Running', 'Stopped')
        talker = shown.containers[0]['uuid']
        engine_support.wait_for(
            lambda: client.containers.logs(
                talker, stdout=True, stderr=True) == FULL,
            timeout=30, what='the app container printed its lines')
        yield shown
    finally:
        _delete_and_wait(client, created.uuid)


@pytest.fixture(scope='module')
def failed_capsule(engine, client):
    created = client.capsules.create(template=BAD_INIT)
    try:
        yield _wait_status(client, created.uuid, 'Error')
    finally:
        _delete_and_wait(client, created.uuid)


def test_python_api_reads_the_app_container(client, app_capsule):
    uuid = app_capsule.containers[0]['uuid']
    logs = client.containers.logs
    assert logs(uuid, stdout=True, stderr=True) == FULL
    # Both false mean both (the client itself turns them into true).
    assert logs(uuid, stdout=False, stderr=False) == FULL
    assert logs(uuid, stdout=True, stderr=False) == 'out-one\nout-two\n'
    assert logs(uuid, stdout=False, stderr=True) == 'err-one\n'
    assert logs(uuid, stdout=True, stderr=True, tail=1) == 'err-one\n'
    assert logs(uuid, stdout=True, stderr=True, tail='all') == FULL
    stamped = logs(uuid, stdout=True, stderr=False, timestamps=True)
    assert re.match(r'^%s out-one\n%s out-two\n$' % (TIMESTAMP, TIMESTAMP),
                    stamped), stamped


def test_python_api_since(client, app_capsule):
    uuid = app_capsule.containers[0]['uuid']
    logs = client.containers.logs
    assert logs(uuid, stdout=True, stderr=True, since=4102444800) == ''
    # A datetime goes out as str(datetime): UTC, as in Zun.
    future = datetime.datetime(2099, 1, 1, 0, 0, 0, 123456)
    assert logs(uuid, stdout=True, stderr=True, since=future) == ''
    past = datetime.datetime(2000, 1, 1)
    assert logs(uuid, stdout=True, stderr=True, since=past) == FULL
    assert logs(uuid, stdout=True, stderr=True,
                since='2000-01-01 00:00:00,000') == FULL
    # since=None is sent as the string "None": no limit.
    assert logs(uuid, stdout=True, stderr=True, since=None) == FULL


def test_python_api_reads_a_successful_init_container(client, app_capsule):
    init = app_capsule.init_containers[0]
    assert init['status'] == 'Stopped'
    assert client.containers.logs(init['uuid'], stdout=True,
                                  stderr=True) == 'init-done\n'


def test_python_api_errors(engine, client, app_capsule):
    uuid = app_capsule.containers[0]['uuid']
    with pytest.raises(zun_exc.NotFound) as caught:
        client.containers.logs('8c0e9b53-2a53-4a4f-9f43-1b8e5e0e4c11',
                               stdout=True, stderr=True)
    assert ('Container 8c0e9b53-2a53-4a4f-9f43-1b8e5e0e4c11 could not be '
            'found' in str(caught.value))
    with pytest.raises(zun_exc.BadRequest) as caught:
        client.containers.logs(uuid, stdout=True, stderr=True, tail=-1)
    assert "'tail'" in str(caught.value)
    with pytest.raises(zun_exc.BadRequest) as caught:
        client.containers.logs(uuid, stdout=True, stderr=True,
                               since='last week')
    assert "'since'" in str(caught.value)

    # Another project: the same answer as for a container that does not
    # exist. An admin of any project reads it.
    other = zun(engine)
    other.http_client.session.additional_headers.update(
        {'X-Project-Id': 'another-project', 'X-User-Id': 'intruder'})
    with pytest.raises(zun_exc.NotFound):
        other.containers.logs(uuid, stdout=True, stderr=True)
    admin = zun(engine)
    admin.http_client.session.additional_headers.update(
        {'X-Project-Id': 'admin-project', 'X-Roles': 'admin'})
    assert admin.containers.logs(uuid, stdout=True, stderr=True) == FULL


def test_python_api_failed_init_container(client, failed_capsule):
    reason = failed_capsule.status_reason
    assert 'Init container migrate exited with code 3' in reason
    assert 'giving up' in reason and 'step-1\n' not in reason
    init = failed_capsule.init_containers[0]['uuid']
    full = client.containers.logs(init, stdout=True, stderr=True)
    assert full == '\n'.join(INIT_LINES) + '\ngiving up\n'
    assert client.containers.logs(init, stdout=False, stderr=True) == \
        'giving up\n'
    # The app container never started: nothing to read, and a clear 409.
    app = failed_capsule.containers[0]['uuid']
    with pytest.raises(zun_exc.Conflict) as caught:
        client.containers.logs(app, stdout=True, stderr=True)
    assert 'has not been created in Docker' in str(caught.value)


def test_openstack_appcontainer_logs(engine, app_capsule, failed_capsule):
    talker = app_capsule.containers[0]['uuid']
    shown = openstack(engine, 'appcontainer', 'logs', talker)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == FULL + '\n'       # the CLI print()s the text
    shown = openstack(engine, 'appcontainer', 'logs', '--stderr', '--tail',
                      '1', '--timestamps', talker)
    assert shown.returncode == 0, shown.stderr
    assert re.match(r'^%s err-one\n\n$' % TIMESTAMP, shown.stdout), \
        shown.stdout
    shown = openstack(engine, 'appcontainer', 'logs', '--since',
                      '2099-01-01 00:00:00,000', talker)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == '\n'

    init = failed_capsule.init_containers[0]['uuid']
    shown = openstack(engine, 'appcontainer', 'logs', init)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == '\n'.join(INIT_LINES) + '\ngiving up\n\n'

    missing = '3f9d2b8e-0c1a-4f57-8d7e-5a6b7c8d9e0f'
    shown = openstack(engine, 'appcontainer', 'logs', missing)
    assert shown.returncode != 0
    assert 'Container %s could not be found' % missing in shown.stderr

    # What the CLI needed: version discovery and the logs call, nothing
    # else (no show of the container first).
    with open(os.path.join(engine.state_dir, 'engine.log')) as handle:
        paths = re.findall(r'"GET (\S+) ', handle.read())
    mine = [p for p in paths if init in p]
    assert mine and all(p.startswith('/v1/containers/%s/logs' % init)
                        for p in mine), mine


def test_removed_docker_container_is_409_then_404(client, failed_capsule):
    """An init container removed behind the engine's back: a 409 saying
    so; once the capsule is deleted: a 404."""
    init = failed_capsule.init_containers[0]['uuid']
    docker_client = docker.from_env()
    try:
        for found in docker_client.containers.list(
                all=True,
                filters={'label': '%s=%s' % (spec.LABEL_CONTAINER, init)}):
            found.remove(force=True)
    finally:
        docker_client.close()
    with pytest.raises(zun_exc.Conflict) as caught:
        client.containers.logs(init, stdout=True, stderr=True)
    assert 'no longer exists' in str(caught.value)
    _delete_and_wait(client, failed_capsule.uuid)
    with pytest.raises(zun_exc.NotFound):
        client.containers.logs(init, stdout=True, stderr=True)


def test_docker_unreachable_is_503(tmp_path):
    """An engine whose Docker does not answer says so (503, envelope).

    API-only (``[runtime] enabled = false``): such a process reads logs
    through its own Docker driver, made on first use.
    """
    conf = cmd.prepare([], cfg.ConfigOpts(), setup_logging=False)
    conf.set_override('state_dir', str(tmp_path))
    conf.set_override('enabled', False, 'runtime')
    conf.set_override('docker_url', 'unix://%s/no-docker.sock' % tmp_path,
                      'runtime')
    services = service.make_services(conf)
    services.db.upgrade()
    app = deploy.make_app(services)
    headers = {'OpenStack-API-Version': 'container 1.40'}
    create = webob.Request.blank('/v1/capsules', method='POST',
                                 headers=headers)
    create.environ['CONTENT_TYPE'] = 'application/json'
    create.body = json.dumps({'template': {
        'kind': 'capsule', 'metadata': {'name': 'nodocker'},
        'spec': {'containers': [{'image': 'busybox'}]}}}).encode()
    capsule = create.get_response(app).json
    uuid = capsule['containers'][0]['uuid']
    resp = webob.Request.blank('/v1/containers/%s/logs' % uuid,
                               headers=headers).get_response(app)
    assert resp.status_int == 503
    error = resp.json['errors'][0]
    assert error['code'] == 'container.service-unavailable'
    assert 'no-docker.sock is not answering' in error['detail']
    assert error['request_id'] == resp.headers['X-Openstack-Request-Id']

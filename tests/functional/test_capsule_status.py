"""What the engine says happened, on real Docker (issue 13's engine part).

* An OOM kill is named, in the container's and the capsule's
  status_reason, for an init and for an app container (16 MiB limit; busybox
  ``dd`` allocates a 100 MB buffer, under ``timeout`` so it cannot run on).
* ``status_detail`` is computed when the capsule is read: the test moves
  the engine's clock (never sleeps a minute) and no database write happens.
* A start Docker refuses leaves no container ``Creating``, and the failed
  capsule stays ``Error`` through later syncs.

The engine runs in this process (tests.support.engine.InProcessEngine: WSGI
app, reconciler, sqlite, real Docker) so that its clock can be moved and its
syncs called directly.
"""

import datetime
import json

import docker
import pytest
import sqlalchemy as sa
import webob

from heat_capsule.engine.runtime import status as status_rules
from tests.support import engine as engine_support

HEADERS = {'OpenStack-API-Version': 'container 1.40',
           'Content-Type': 'application/json'}
# The hog waits 2 s before it allocates: Docker 20.10 (cgroup v1) learns of
# an OOM kill through an eventfd containerd arms only once the process has
# started, and a kill within the container's first instants goes unseen
# (State.OOMKilled false, no 'oom' event), the more often the busier the
# daemon (parallel tests): nothing the engine could read.
OOM_COMMAND = ['sh', '-c', 'echo allocating; sleep 2; exec timeout 30 dd '
               'if=/dev/zero of=/dev/null bs=100M count=1']
OOM_TEXT = ('was killed for exceeding its memory limit of 16 MiB '
            '(exit code 137)')


@pytest.fixture(scope='module')
def engine():
    engine_support.ensure_test_images()
    running = engine_support.InProcessEngine()
    yield running
    running.stop()


@pytest.fixture(scope='module')
def client():
    return docker.from_env()


def call(engine, method, path, body=None):
    request = webob.Request.blank(path, method=method, headers=HEADERS)
    if body is not None:
        request.body = json.dumps(body).encode()
    response = request.get_response(engine.app)
    return response.status_int, (response.json if response.body else None)


def create(engine, spec, name):
    code, body = call(engine, 'POST', '/v1/capsules', {'template': {
        'kind': 'capsule', 'metadata': {'name': name}, 'spec': spec}})
    assert code == 202, body
    return body['uuid']


def show(engine, uuid):
    code, body = call(engine, 'GET', '/v1/capsules/%s' % uuid)
    assert code == 200, body
    return body


def wait_status(engine, uuid, *statuses, timeout=60):
    def reached():
        body = show(engine, uuid)
        return body if body['status'] in statuses else None
    return engine_support.wait_for(reached, timeout=timeout,
                                   what='%s in %s' % (uuid, statuses))


def delete(engine, uuid):
    code, body = call(engine, 'DELETE', '/v1/capsules/%s' % uuid)
    assert code == 204, body
    engine_support.wait_for(
        lambda: call(engine, 'GET', '/v1/capsules/%s' % uuid)[0] == 404,
        timeout=60, what='%s deleted' % uuid)


def busybox(name, command, **extra):
    return dict(name=name, image='busybox', command=command, **extra)


def by_name(body):
    return {c['name']: c for c in body['containers']
            + body['init_containers']}


# -- OOM kills ---------------------------------------------------------------

@pytest.mark.parametrize('role', ['app', 'init'])
def test_an_oom_kill_is_named_in_container_and_capsule(engine, client,
                                                       role):
    hog = busybox('hog', OOM_COMMAND,
                  resources={'requests': {'memory': 16}})
    spec = {'restartPolicy': 'Never',
            'containers': [busybox('app', ['sleep', '3600'])]}
    if role == 'init':
        spec['initContainers'] = [hog]
    else:
        spec['containers'] = [hog]
    uuid = create(engine, spec, 'oom-' + role)
    try:
        body = wait_status(engine, uuid, 'Error')
        subject = 'Init container hog' if role == 'init' else 'hog'
        assert '%s %s' % (subject, OOM_TEXT) in body['status_reason']
        container = by_name(body)['hog']
        assert container['status_reason'] == 'container hog ' + OOM_TEXT
        assert (container['status'], container['exit_code'],
                container['oom_killed']) == ('Stopped', 137, True)
        assert container['status_detail'].startswith('Exited (137) ')
        # What Docker itself recorded.
        state = client.containers.get(
            'hc-%s-hog' % uuid).attrs['State']
        assert (state['OOMKilled'], state['ExitCode']) == (True, 137)
        if role == 'init':
            assert 'allocating' in body['status_reason']   # its last lines
            assert by_name(body)['app']['status'] == 'Error'
    finally:
        delete(engine, uuid)


# -- status_detail, computed when read ---------------------------------------

class Writes:
    """Counts INSERT/UPDATE/DELETE statements on the engine's database."""

    def __init__(self, database):
        self.engine = database.engine
        self.statements = []

    def _seen(self, conn, cursor, statement, *args):
        verb = statement.split(None, 1)[0].upper()
        if verb in ('INSERT', 'UPDATE', 'DELETE'):
            self.statements.append(statement)

    def __enter__(self):
        sa.event.listen(self.engine, 'before_cursor_execute', self._seen)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, 'before_cursor_execute', self._seen)


def test_status_detail_moves_with_the_clock_without_writes(engine,
                                                           monkeypatch):
    uuid = create(engine, {'restartPolicy': 'Never', 'containers': [
        busybox('web', ['sleep', '3600']),
        busybox('job', ['sh', '-c', 'echo done']),
    ]}, 'detail')
    try:
        def settled():
            body = show(engine, uuid)
            job = by_name(body)['job']
            return body if job['status'] == 'Stopped' and \
                by_name(body)['web']['started_at'] else None
        body = engine_support.wait_for(settled, timeout=60,
                                       what='job stopped')
        assert by_name(body)['web']['status_detail'].startswith('Up ')
        assert by_name(body)['job']['exit_code'] == 0
        real_now = status_rules.utcnow()
        later = real_now + datetime.timedelta(minutes=5, seconds=2)
        monkeypatch.setattr(status_rules, 'utcnow', lambda: later)
        with Writes(engine.services.db) as writes:
            engine.reconciler.sync(uuid)      # nothing new: no write
            engine.reconciler.sync(uuid)
            body = show(engine, uuid)
            listed = call(engine, 'GET', '/v1/capsules')[1]
        assert writes.statements == []
        web, job = by_name(body)['web'], by_name(body)['job']
        assert web['status_detail'] == 'Up 5 minutes'
        assert web['uptime'] >= 300
        assert job['status_detail'] == 'Exited (0) 5 minutes ago'
        assert job['uptime'] is None
        mine = [c for c in listed['capsules'] if c['uuid'] == uuid][0]
        assert by_name(mine)['web']['status_detail'] == 'Up 5 minutes'
        monkeypatch.setattr(status_rules, 'utcnow',
                            lambda: real_now + datetime.timedelta(hours=3))
        assert by_name(show(engine, uuid))['web']['status_detail'] == \
            'Up 3 hours'
    finally:
        monkeypatch.undo()
        delete(engine, uuid)


# -- a start Docker refuses --------------------------------------------------

def test_a_refused_start_leaves_no_container_creating(engine, client):
    uuid = create(engine, {'containers': [
        busybox('broken', ['/no/such/program']),
        busybox('fine', ['sleep', '3600']),
    ]}, 'refused')
    try:
        body = wait_status(engine, uuid, 'Error')
        containers = by_name(body)
        assert 'Creating' not in {c['status'] for c in containers.values()}
        broken = containers['broken']
        assert broken['status'] == 'Error'
        assert '/no/such/program' in broken['status_reason'], broken
        # The other one shows its real Docker state, or Error if Docker
        # never made it.
        fine = containers['fine']
        try:
            real = client.containers.get('hc-%s-fine' % uuid).status
        except docker.errors.NotFound:
            real = None
        expected = {'running': 'Running', None: 'Error',
                    'created': 'Error'}.get(real, fine['status'])
        assert fine['status'] == expected, (real, fine)
        assert fine['status_reason'] or fine['status'] == 'Running'
        # Later syncs keep the failure: the capsule stays Error.
        engine.reconciler.sync(uuid)
        again = show(engine, uuid)
        assert again['status'] == 'Error'
        assert by_name(again)['broken']['status'] == 'Error'
    finally:
        delete(engine, uuid)


def test_a_failed_init_container_leaves_no_app_container_creating(engine):
    uuid = create(engine, {
        'initContainers': [busybox('migrate', ['sh', '-c', 'exit 3'])],
        'containers': [busybox('app', ['sleep', '3600'])]}, 'init-fails')
    try:
        body = wait_status(engine, uuid, 'Error')
        app = by_name(body)['app']
        assert app['status'] == 'Error'
        assert app['status_reason'] == ('Not started: Init container '
                                        'migrate exited with code 3.')
        engine.reconciler.sync(uuid)
        assert show(engine, uuid)['status'] == 'Error'
    finally:
        delete(engine, uuid)

"""Stack suspend/resume of OS::Zun::Capsule with Heat's real engine.

Heat runs in this process (tests.support.heat_rig) against a real
heat-capsule-engine process on Docker, with templates/sidecar.yaml (two
containers talking over localhost): suspend must end SUSPEND_COMPLETE
with every app container frozen in Docker (State.Paused) and the capsule
Paused; resume must end RESUME_COMPLETE with them running again. Against
a service without the pause extension (a forwarder to the same engine that
answers the action URLs as a real Zun does, 404) the suspend fails with
the reason and the containers keep running, as they really do.
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig

import contextlib
import http.server
import re
import threading
import time

import pytest
import requests

from heat_capsule.engine.runtime import spec as rspec
from tests.support import engine as engine_support

API_HEADERS = {'OpenStack-API-Version': 'container 1.40'}
# Two containers talking over the capsule's localhost.
TEMPLATE = heat_rig.HeatRig.read_template('sidecar.yaml')
RESOURCE = 'pair'
_ACTION = re.compile(r'/capsules/[^/]+/(pause|unpause)/?$')


def app_states(docker_client, engine, capsule_uuid):
    """Docker's State of each app container of the capsule, by name."""
    found = docker_client.containers.list(all=True, filters={'label': [
        '%s=%s' % (rspec.LABEL_CAPSULE, capsule_uuid),
        '%s=%s' % (rspec.LABEL_ENGINE, engine.instance),
        '%s=%s' % (rspec.LABEL_ROLE, rspec.ROLE_APP)]})
    states = {}
    for container in found:
        container.reload()
        states[container.name] = container.attrs['State']
    return states


def engine_status(engine, capsule_uuid):
    resp = requests.get(engine.url + '/v1/capsules/' + capsule_uuid,
                        headers=API_HEADERS, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()['status']


def stack_state(stack):
    return stack['stack_action'], stack['stack_status']


def stack_action(heat, identity, action):
    """Suspend or resume the stack; it must end <ACTION>_COMPLETE."""
    started = time.monotonic()
    getattr(heat.client, 'stack_' + action)(heat.context(), identity)
    stack = heat.wait(identity, action.upper())
    assert stack_state(stack) == (action.upper(), 'COMPLETE'), stack[
        'stack_status_reason']
    print('stack %s: %s_COMPLETE after %.1f s'
          % (action, action.upper(), time.monotonic() - started))


@contextlib.contextmanager
def without_pause_extension(target):
    """An HTTP forwarder to `target` that answers POST .../pause|unpause
    404 in Zun's error format, as a real Zun does (it has no such URL)."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def _forward(self):
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length) if length else None
            if self.command == 'POST' and _ACTION.search(self.path):
                status, headers = 404, {'Content-Type': 'application/json'}
                content = (b'{"errors": [{"status": 404, "code": "", '
                           b'"title": "Not Found", "detail": "The resource '
                           b'could not be found."}]}')
            else:
                resp = requests.request(
                    self.command, target + self.path, data=body,
                    timeout=30, headers={
                        k: v for k, v in self.headers.items()
                        if k.lower() not in ('host', 'connection',
                                             'content-length')})
                status, headers, content = (resp.status_code, resp.headers,
                                            resp.content)
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ('connection', 'content-length',
                                       'transfer-encoding', 'keep-alive'):
                    self.send_header(key, value)
            self.send_header('Content-Length', str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_DELETE = _forward

        def log_message(self, *args):
            pass

    port = engine_support.free_port()
    server = http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever,
                     kwargs={'poll_interval': 0.05}, daemon=True).start()
    try:
        yield 'http://127.0.0.1:%d/v1' % port
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def running(heat, engine, suffix):
    def create(name):
        identity = heat.create_stack('%s-%s' % (name, suffix), TEMPLATE)
        stack = heat.wait(identity, 'CREATE')
        assert stack_state(stack) == ('CREATE', 'COMPLETE'), stack[
            'stack_status_reason']
        capsule_uuid = heat.resource(identity,
                                     RESOURCE)['physical_resource_id']
        return identity, capsule_uuid
    return create


def test_suspend_pauses_every_container_and_resume_runs_them(
        heat, engine, docker_client, running):
    identity, capsule_uuid = running('suspend')
    before = app_states(docker_client, engine, capsule_uuid)
    assert len(before) == 2
    assert not any(s['Paused'] for s in before.values())

    stack_action(heat, identity, 'suspend')
    frozen = app_states(docker_client, engine, capsule_uuid)
    for name, state in frozen.items():
        assert state['Paused'] is True and state['Status'] == 'paused', (
            name, state)
    assert engine_status(engine, capsule_uuid) == 'Paused'
    assert heat.outputs(identity)['status'] == 'Paused'
    resource = heat.resource(identity, RESOURCE)
    assert (resource['resource_action'], resource['resource_status']) == (
        'SUSPEND', 'COMPLETE')

    stack_action(heat, identity, 'resume')
    thawed = app_states(docker_client, engine, capsule_uuid)
    for name, state in thawed.items():
        assert state['Paused'] is False and state['Running'], (name, state)
        # The same processes, thawed: nothing was restarted.
        assert state['StartedAt'] == before[name]['StartedAt'], name
    assert engine_status(engine, capsule_uuid) == 'Running'
    # Thawed for real: the poller fetches the app's page over the
    # capsule's localhost again (checked from inside, with exec).
    poller = docker_client.containers.get('hc-%s-poller' % capsule_uuid)
    poller.exec_run(['rm', '-f', '/tmp/last'])
    engine_support.wait_for(
        lambda: poller.exec_run(['cat', '/tmp/last']).exit_code == 0,
        timeout=20, what='the poller reaching the app after resume')

    # A suspended stack can be deleted too.
    stack_action(heat, identity, 'suspend')
    heat.delete_stack(identity)
    assert stack_state(heat.wait_deleted(identity)) == ('DELETE',
                                                        'COMPLETE')
    assert app_states(docker_client, engine, capsule_uuid) == {}


def test_suspend_without_the_extension_fails_with_the_reason(
        heat, engine, docker_client, running):
    identity, capsule_uuid = running('zun-like')
    with without_pause_extension(engine.url) as url:
        previous, heat.container_url = heat.container_url, url
        try:
            heat.client.stack_suspend(heat.context(), identity)
            stack = heat.wait(identity, 'SUSPEND')
        finally:
            heat.container_url = previous
    assert stack_state(stack) == ('SUSPEND', 'FAILED')
    reason = heat.resource(identity, RESOURCE)['resource_status_reason']
    assert ('The container service at %s cannot pause capsules' % url
            in reason), reason
    assert 'Zun does not have' in reason, reason
    print('suspend without the extension: %s' % reason)
    # Nothing pretended: the containers still run.
    states = app_states(docker_client, engine, capsule_uuid)
    assert states and not any(s['Paused'] for s in states.values())
    assert engine_status(engine, capsule_uuid) == 'Running'

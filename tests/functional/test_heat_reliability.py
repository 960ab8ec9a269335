"""OS::Zun::Capsule when things go wrong: rollback, an unreachable service.

Heat's real engine runs in this process (``tests.support.heat_rig``) against
a ``heat-capsule-engine`` process on real Docker, as in
``test_heat_capsule.py``. Checked here:

* a create that fails with rollback enabled ends ROLLBACK_COMPLETE and
  leaves no capsule in the engine and nothing labelled for it in Docker;
* a container service that cannot be reached fails a create or delete with
  a reason naming the endpoint and the connection error: at once when the
  request that starts the action is refused; after the tolerated time when
  the service goes away while Heat waits (the engine killed, or taken off
  the network by a proxy), and in time to beat the stack's own timeout;
* a service that comes back within that time (an engine restart) does not
  fail anything.

Timings are asserted loosely (upper bounds with ample slack); what each
failure took is printed (``pytest -s``).
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig  # noqa: F401

import contextlib
import functools
import http.server
import re
import threading
import time

import pytest
import requests
from oslo_utils import uuidutils

from heat.rpc import api as rpc_api

from heat_capsule.engine.runtime import spec as rspec
from tests.support import engine as engine_support

API_HEADERS = {'OpenStack-API-Version': 'container 1.40'}

FAILING_INIT = '''
heat_template_version: 2021-04-16
resources:
  broken:
    type: OS::Zun::Capsule
    properties:
      init_containers:
        - name: migrate
          image: busybox
          command: [sh, -c, "echo cannot migrate >&2; exit 1"]
          volume_mounts: [{name: work, mount_path: /work}]
      containers:
        - name: app
          image: busybox
          command: [sleep, "3600"]
      volumes:
        - {name: work, size: 1, auto_remove: true}
'''

# The broken capsule fails a little later, so that the good one is
# usually complete when the rollback starts (both orders must clean up).
GOOD_AND_FAILING = '''
heat_template_version: 2021-04-16
resources:
  good:
    type: OS::Zun::Capsule
    properties:
      containers:
        - name: app
          image: busybox
          command: [sleep, "3600"]
          volume_mounts: [{name: data, mount_path: /data}]
      volumes:
        - {name: data, size: 1, auto_remove: true}
  broken:
    type: OS::Zun::Capsule
    properties:
      init_containers:
        - name: migrate
          image: busybox
          command: [sh, -c, "sleep 2; exit 1"]
      containers:
        - name: app
          image: busybox
          command: [sleep, "3600"]
'''

SLEEPER = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - name: app
          image: busybox
          command: [sleep, "3600"]
'''

# Running only once the init container has slept %(seconds)s seconds.
SLOW = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      init_containers:
        - name: wait
          image: busybox
          command: [sleep, "%(seconds)s"]
      containers:
        - name: app
          image: busybox
          command: [sleep, "3600"]
'''

REFUSED = '[Errno 111] Connection refused'


# -- fixtures ---------------------------------------------------------------

@pytest.fixture
def engine_up(engine):
    """The engine process; started again after the test if it was killed."""
    yield engine
    if engine.proc.poll() is not None:
        engine.start()


@pytest.fixture
def unreachable_timeout(heat_client_option):
    """Set ``[clients_zun_capsule] unreachable_timeout`` for one test."""
    return functools.partial(heat_client_option, 'unreachable_timeout')


# -- helpers ----------------------------------------------------------------

def create_stack(heat, name, template, timeout_mins=5, rollback=False):
    """create_stack as heat-api sends it, with rollback on or off."""
    identity = heat.client.create_stack(
        heat.context(), name, heat.parse(template), {'parameters': {}}, {},
        {rpc_api.PARAM_TIMEOUT: timeout_mins,
         rpc_api.PARAM_DISABLE_ROLLBACK: not rollback})
    heat.stacks.append(identity)
    return identity


def state(stack):
    return stack['stack_action'], stack['stack_status']


def physical_ids(heat, identity):
    """Every capsule uuid any event of the stack reported, by resource.

    (An event before the create has the resource's name there instead.)
    """
    found = {}
    for event in heat.client.list_events(heat.context(), identity):
        physical = event.get(rpc_api.EVENT_RES_PHYSICAL_ID)
        if uuidutils.is_uuid_like(physical) and event[
                rpc_api.EVENT_RES_NAME] != identity['stack_name']:
            found.setdefault(event[rpc_api.EVENT_RES_NAME],
                             set()).add(physical)
    return found


def engine_status(engine, capsule_uuid):
    """(HTTP status, capsule status or None) as the engine answers."""
    resp = requests.get('%s/v1/capsules/%s' % (engine.url, capsule_uuid),
                        headers=API_HEADERS, timeout=10)
    body = resp.json() if resp.status_code == 200 else {}
    return resp.status_code, body.get('status')


def docker_leftovers(docker_client, engine, capsule_uuid):
    labels = ['%s=%s' % (rspec.LABEL_CAPSULE, capsule_uuid),
              '%s=%s' % (rspec.LABEL_ENGINE, engine.instance)]
    return ([c.name for c in docker_client.containers.list(
                all=True, filters={'label': labels})]
            + [v.name for v in docker_client.volumes.list(
                filters={'label': labels})])


def assert_gone(engine, docker_client, capsule_uuid):
    assert engine_status(engine, capsule_uuid)[0] == 404
    assert docker_leftovers(docker_client, engine, capsule_uuid) == []


def timed_wait(heat, identity, action, timeout=60):
    started = time.monotonic()
    stack = heat.wait(identity, action, timeout=timeout)
    return stack, time.monotonic() - started


def resource_reason(heat, identity, name):
    rsrc = heat.resource(identity, name)
    return (rsrc['resource_action'], rsrc['resource_status'],
            rsrc['resource_status_reason'])


@contextlib.contextmanager
def container_url(heat, url):
    """Requests made meanwhile carry ``url`` as the container endpoint."""
    previous, heat.container_url = heat.container_url, url
    try:
        yield
    finally:
        heat.container_url = previous


class Proxy:
    """An HTTP forwarder to the engine that a test takes off the network.

    It speaks HTTP/1.0 (one connection per request), so when it is down
    nothing listens on its port: every request is refused, exactly as if
    the service had gone away, while the engine itself keeps working.
    ``down_after_delete()`` takes it down the moment the engine has
    accepted a DELETE, before the answer reaches the client.
    """

    def __init__(self, target):
        self.target = target
        self.port = engine_support.free_port()
        self.url = 'http://127.0.0.1:%d/v1' % self.port
        self.server = None
        self._after_delete = False

    def up(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ('host', 'connection',
                                                'content-length')}
                resp = requests.request(self.command,
                                        proxy.target + self.path,
                                        headers=headers, data=body,
                                        timeout=30)
                if self.command == 'DELETE' and proxy._after_delete:
                    proxy._after_delete = False
                    proxy.down()
                self.send_response(resp.status_code)
                for key, value in resp.headers.items():
                    if key.lower() not in ('connection', 'content-length',
                                           'transfer-encoding',
                                           'keep-alive'):
                        self.send_header(key, value)
                self.send_header('Content-Length', str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            do_GET = do_POST = do_DELETE = do_PATCH = _forward

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(('127.0.0.1', self.port),
                                                 Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever,
                         kwargs={'poll_interval': 0.05},
                         daemon=True).start()
        self.server = server
        return self

    def down(self):
        server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def down_after_delete(self):
        self._after_delete = True


# -- (a) a failed create with rollback leaves nothing -----------------------

@pytest.mark.parametrize('template, names', [
    (FAILING_INIT, ['broken']),
    (GOOD_AND_FAILING, ['good', 'broken']),
], ids=['failing-init', 'good-and-failing'])
def test_failed_create_with_rollback_leaves_no_capsules(
        heat, engine, docker_client, template, names):
    identity = create_stack(heat, 'rollback-%d' % len(names), template,
                            rollback=True)
    stack, took = timed_wait(heat, identity, 'ROLLBACK', timeout=90)
    print('rollback of %s: ROLLBACK_COMPLETE after %.1f s'
          % (names, took))
    assert state(stack) == ('ROLLBACK', 'COMPLETE'), stack[
        'stack_status_reason']

    made = physical_ids(heat, identity)
    assert set(made) == set(names)
    capsules = set().union(*made.values())
    assert len(capsules) == len(names)
    for capsule_uuid in capsules:
        assert_gone(engine, docker_client, capsule_uuid)
    # Nor does the engine list a capsule of this stack under another id.
    listed = requests.get(engine.url + '/v1/capsules', headers=API_HEADERS,
                          timeout=10).json()['capsules']
    assert not [c for c in listed
                if c['name'].startswith(identity['stack_name'] + '-')]

    heat.delete_stack(identity)
    assert state(heat.wait_deleted(identity)) == ('DELETE', 'COMPLETE')


# -- (b) the container service unreachable ----------------------------------

def test_unreachable_when_the_create_starts_fails_at_once(heat):
    nowhere = 'http://127.0.0.1:%d/v1' % engine_support.free_port()
    with container_url(heat, nowhere):
        identity = create_stack(heat, 'nowhere', SLEEPER)
        stack, took = timed_wait(heat, identity, 'CREATE')
    print('create against a refused endpoint: FAILED after %.1f s' % took)
    assert state(stack) == ('CREATE', 'FAILED')
    action, status, reason = resource_reason(heat, identity, 'capsule')
    assert (action, status) == ('CREATE', 'FAILED')
    assert reason == (
        'ServiceUnreachable: resources.capsule: The container service at '
        '%s is unreachable: %s' % (nowhere, REFUSED))
    assert reason in stack['stack_status_reason']
    assert 'Traceback' not in reason and 'HTTPConnectionPool' not in reason
    assert took < 20


@pytest.fixture
def request_timeout(heat_client_option):
    """Set ``[clients_zun_capsule] request_timeout`` for one test."""
    return functools.partial(heat_client_option, 'request_timeout')


@contextlib.contextmanager
def black_hole():
    """A listening port that accepts connections and never answers."""
    import socket
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(16)
    try:
        yield 'http://127.0.0.1:%d/v1' % listener.getsockname()[1]
    finally:
        listener.close()


def test_a_service_that_never_answers_fails_after_the_request_timeout(
        heat, request_timeout):
    """Without a request timeout the create would hang (Heat's session
    has none); with [clients_zun_capsule] request_timeout it fails with a
    timed-out reason."""
    request_timeout(3)
    with black_hole() as url, container_url(heat, url):
        identity = create_stack(heat, 'black-hole', SLEEPER)
        stack, took = timed_wait(heat, identity, 'CREATE')
    print('create against a service that never answers '
          '(request_timeout=3): FAILED after %.1f s' % took)
    assert state(stack) == ('CREATE', 'FAILED')
    _, _, reason = resource_reason(heat, identity, 'capsule')
    assert reason.startswith(
        'ServiceUnreachable: resources.capsule: The container service at '
        '%s is unreachable: ' % url), reason
    assert 'timed out' in reason.lower(), reason
    assert took < 30


def test_engine_restart_during_create_is_tolerated(
        heat, engine_up, docker_client):
    engine = engine_up
    identity = create_stack(heat, 'restart', SLOW % {'seconds': 6})
    capsule_uuid = engine_support.wait_for(
        lambda: heat.resource(identity, 'capsule')['physical_resource_id'],
        timeout=30, what='capsule accepted')
    engine.kill()
    time.sleep(3)          # Heat polls a refused endpoint meanwhile
    engine.start()
    stack, _ = timed_wait(heat, identity, 'CREATE', timeout=60)
    assert state(stack) == ('CREATE', 'COMPLETE'), stack[
        'stack_status_reason']
    assert engine_status(engine, capsule_uuid) == (200, 'Running')

    heat.delete_stack(identity)
    assert state(heat.wait_deleted(identity)) == ('DELETE', 'COMPLETE')
    assert_gone(engine, docker_client, capsule_uuid)


def test_engine_gone_while_create_waits_fails_before_the_stack_timeout(
        heat, engine_up, docker_client):
    """timeout_mins=1, and more than that allowed for unreachability.

    The stack's timeout is the limit: the resource fails about 5 s before
    it, with its own reason rather than Heat's "Timed out".
    """
    engine = engine_up
    started = time.monotonic()
    identity = create_stack(heat, 'engine-gone', SLOW % {'seconds': 300},
                            timeout_mins=1)
    capsule_uuid = engine_support.wait_for(
        lambda: heat.resource(identity, 'capsule')['physical_resource_id'],
        timeout=30, what='capsule accepted')
    assert engine_status(engine, capsule_uuid) == (200, 'Creating')
    engine.kill()
    killed = time.monotonic()

    stack = heat.wait(identity, 'CREATE', timeout=90)
    took, total = time.monotonic() - killed, time.monotonic() - started
    print('engine killed %.1f s into a create with timeout_mins=1: FAILED '
          '%.1f s later, %.1f s after the create started'
          % (killed - started, took, total))
    assert state(stack) == ('CREATE', 'FAILED')
    action, status, reason = resource_reason(heat, identity, 'capsule')
    assert (action, status) == ('CREATE', 'FAILED')
    match = re.fullmatch(
        r'ServiceUnreachable: resources\.capsule: The container service at '
        r'(\S+) has been unreachable for (\d+) s: (.*)', reason)
    assert match, reason
    assert match.group(1) == engine.url + '/v1'
    assert match.group(3) == REFUSED
    # It polled on for a while (not failed at the first refusal) ...
    assert int(match.group(2)) >= 20
    # ... and ended before the stack's 60 s, with its own reason.
    assert total < 75
    assert 'Timed out' not in stack['stack_status_reason']

    engine.start()
    heat.delete_stack(identity)
    assert state(heat.wait_deleted(identity)) == ('DELETE', 'COMPLETE')
    assert_gone(engine, docker_client, capsule_uuid)


def test_unreachable_during_delete_fails_clearly(
        heat, engine, docker_client, unreachable_timeout):
    proxy = Proxy(engine.url).up()
    try:
        with container_url(heat, proxy.url):
            identity = create_stack(heat, 'delete-unreachable', SLEEPER)
            stack = heat.wait(identity, 'CREATE')
            assert state(stack) == ('CREATE', 'COMPLETE')
            capsule_uuid = heat.resource(
                identity, 'capsule')['physical_resource_id']

            # Unreachable when the delete starts: fails at once.
            proxy.down()
            heat.delete_stack(identity)
            stack, took = timed_wait(heat, identity, 'DELETE')
            print('delete against a refused endpoint: FAILED after %.1f s'
                  % took)
            assert state(stack) == ('DELETE', 'FAILED')
            assert resource_reason(heat, identity, 'capsule')[2] == (
                'ServiceUnreachable: resources.capsule: The container '
                'service at %s is unreachable: %s' % (proxy.url, REFUSED))
            assert took < 20
            assert engine_status(engine, capsule_uuid) == (200, 'Running')

            # Gone once the DELETE was accepted: fails after the allowed
            # time, not at once and not never.
            unreachable_timeout(4)
            proxy.up().down_after_delete()
            heat.delete_stack(identity)
            stack, took = timed_wait(heat, identity, 'DELETE')
            print('service gone after the DELETE (unreachable_timeout=4): '
                  'FAILED after %.1f s' % took)
            assert state(stack) == ('DELETE', 'FAILED')
            reason = resource_reason(heat, identity, 'capsule')[2]
            assert re.fullmatch(
                r'ServiceUnreachable: resources\.capsule: The container '
                r'service at %s has been unreachable for [45] s: %s'
                % (re.escape(proxy.url), re.escape(REFUSED)), reason), reason
            assert 4 <= took < 30
            # The engine did delete it meanwhile.
            engine_support.wait_for(
                lambda: engine_status(engine, capsule_uuid)[0] == 404,
                timeout=30, what='capsule deleted by the engine')

            # Back again: the next delete completes.
            proxy.up()
            heat.delete_stack(identity)
            assert state(heat.wait_deleted(identity)) == (
                'DELETE', 'COMPLETE')
        assert_gone(engine, docker_client, capsule_uuid)
    finally:
        proxy.down()

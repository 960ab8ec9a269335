"""Readiness-gated stacks and capsule logs, through Heat's real engine.

templates/readiness.yaml: a web capsule with a healthcheck and
``created_when: healthy``, and a client capsule that depends on it. The web
container's page appears when it is ready (its modification time, to the
nanosecond) and Docker records when the client container started; the
client must start after the web service was ready. The same template with
``created_when: started`` is the control: there the client starts while the
web container is still warming up, so the check can tell the two apart.

Clocks: both moments come from the one host kernel (a file's mtime inside a
container, Docker's StartedAt), so they are comparable.
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig  # noqa: F401

import datetime

import docker
import pytest

from tests.functional import test_heat_capsule as heat_capsule
from tests.support import engine as engine_support

WARMUP = 6

UNHEALTHY = '''
heat_template_version: 2021-04-16
resources:
  api:
    type: OS::Zun::Capsule
    properties:
      created_when: healthy
      containers:
        - name: api
          image: busybox
          command: [sleep, "3600"]
          healthcheck:
            cmd: echo backend 10.0.0.9 is down >&2; exit 1
            interval: 1
            timeout: 1
            retries: 2
'''


@pytest.fixture(scope='module')
def client():
    return docker.from_env()


def _epoch(docker_time):
    """Docker's RFC 3339 time (nanoseconds, Z) as epoch seconds."""
    whole, _, fraction = docker_time.rstrip('Z').partition('.')
    moment = datetime.datetime.strptime(whole, '%Y-%m-%dT%H:%M:%S').replace(
        tzinfo=datetime.timezone.utc)
    return moment.timestamp() + float('0.' + (fraction or '0'))


def _create(heat, name, template):
    identity = heat.create_stack(name, template,
                                 parameters={'warmup': WARMUP})
    stack = heat.wait(identity, 'CREATE', timeout=180)
    return identity, stack


def _moments(heat, client, identity):
    """(web page written, client started) in epoch seconds."""
    web = heat_capsule.physical_id(heat, identity, 'web')
    started = heat_capsule.physical_id(heat, identity, 'client')
    container = client.containers.get('hc-%s-web' % web)

    def page_written():
        result = container.exec_run('stat -c %y /www/index.html')
        return result if result.exit_code == 0 else None
    # Without the gate the stack may complete before the page exists.
    result = engine_support.wait_for(page_written, timeout=60,
                                     what='the web page')
    # busybox: "2026-11-28 08:16:55.581327561 +0000"
    day, clock, _ = result.output.decode().split()
    ready_at = _epoch('%sT%sZ' % (day, clock))
    client_info = client.containers.get('hc-%s-client' % started).attrs
    return ready_at, _epoch(client_info['State']['StartedAt'])


def test_the_client_starts_only_after_the_web_is_healthy(heat, client):
    identity, stack = _create(heat, 'ready',
                              heat.read_template('readiness.yaml'))
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    ready_at, client_started = _moments(heat, client, identity)
    print('\ncreated_when healthy: client started %.2f s after the web page '
          'was written' % (client_started - ready_at))
    assert client_started > ready_at, (ready_at, client_started)

    outputs = heat.outputs(identity)
    assert outputs['web_health'] == {'web': 'healthy'}
    assert outputs['client_status'] == 'Running'
    logs = outputs['web_logs']
    assert set(logs) == {'web'}
    assert 'warming up for %ds' % WARMUP in logs['web']
    assert 'serving on 8080' in logs['web']


def test_with_created_when_started_the_client_does_not_wait(heat, client):
    """The control: without the gate the client starts during warm-up."""
    template = heat.read_template('readiness.yaml').replace(
        'created_when: healthy', 'created_when: started')
    identity, stack = _create(heat, 'not-gated', template)
    assert stack['stack_status'] == 'COMPLETE', stack['stack_status_reason']
    ready_at, client_started = _moments(heat, client, identity)
    print('\ncreated_when started: client started %.2f s before the web '
          'page was written' % (ready_at - client_started))
    assert client_started < ready_at, (ready_at, client_started)


def test_a_failing_check_fails_the_resource_with_its_output(heat):
    identity = heat.create_stack('unhealthy', UNHEALTHY)
    stack = heat.wait(identity, 'CREATE', timeout=120)
    assert stack['stack_status'] == 'FAILED'
    reason = heat.resource(identity, 'api')['resource_status_reason']
    assert 'container api is unhealthy' in reason
    assert 'backend 10.0.0.9 is down' in reason

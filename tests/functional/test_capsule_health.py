"""Container healthchecks (an engine extension) on real Docker.

A healthcheck maps onto Docker's own; the engine reports Docker's verdict in
the container's ``healthcheck`` (status, output of a failed probe) and
``status_detail`` fields, and names unhealthy containers in the capsule's
status_reason while the capsule stays Running.
"""

import docker
import pytest

from tests.functional import test_capsule_runtime as runtime
from tests.support import engine as engine_support

NANOSECONDS = 1000000000


@pytest.fixture(scope='module')
def client():
    return docker.from_env()


def container_view(engine, capsule_uuid, name):
    body = runtime.show(engine, capsule_uuid).json()
    return next(c for c in body['containers'] if c['name'] == name)


def wait_health(engine, capsule_uuid, name, health, timeout=60):
    def reached():
        view = container_view(engine, capsule_uuid, name)
        return view if view['healthcheck'].get('status') == health else None
    return engine_support.wait_for(reached, timeout=timeout,
                                   what='%s %s' % (name, health))


def test_a_service_becomes_healthy_when_its_check_passes(engine, client):
    """busybox httpd serves once the app has written its page."""
    check = {'cmd': 'wget -q -O- http://localhost:8080/ | grep -q ready',
             'interval': 1, 'timeout': 2, 'retries': 30}
    capsule = runtime.create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'health-web'},
        'spec': {'containers': [
            runtime.busybox('web', [
                'sh', '-c', 'mkdir /www; sleep 3; echo ready > '
                '/www/index.html; exec httpd -f -p 8080 -h /www'],
                healthcheck=check),
            runtime.busybox('plain', ['sleep', '3600'])]}})
    uuid = capsule['uuid']
    try:
        view = runtime.wait_status(engine, uuid, 'Running')
        web = next(c for c in view['containers'] if c['name'] == 'web')
        # What was asked, with the engine's defaults filled in.
        assert {k: web['healthcheck'][k] for k in (
            'cmd', 'interval', 'timeout', 'retries', 'start_period')} == \
            dict(check, start_period=0)
        plain = next(c for c in view['containers'] if c['name'] == 'plain')
        assert plain['healthcheck'] == {}

        healthy = wait_health(engine, uuid, 'web', 'healthy')
        assert healthy['healthcheck']['output'] is None
        assert healthy['status_detail'].endswith('(healthy)')
        assert runtime.show(engine, uuid).json()['status_reason'] is None

        inspected = runtime.docker_container(client, uuid, 'web').attrs
        # Docker leaves a zero StartPeriod out.
        assert inspected['Config']['Healthcheck'] == {
            'Test': ['CMD-SHELL', check['cmd']],
            'Interval': NANOSECONDS, 'Timeout': 2 * NANOSECONDS,
            'Retries': 30}
        assert inspected['State']['Health']['Status'] == 'healthy'
        plain_inspected = runtime.docker_container(client, uuid,
                                                   'plain').attrs
        assert 'Healthcheck' not in plain_inspected['Config']
    finally:
        runtime.delete_and_wait(engine, uuid)


def test_an_unhealthy_container_reports_its_check_output(engine):
    check = {'cmd': 'echo database is not reachable >&2; exit 1',
             'interval': 1, 'timeout': 1, 'retries': 5}
    capsule = runtime.create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'health-bad'},
        'spec': {'containers': [runtime.busybox(
            'api', ['sleep', '3600'], healthcheck=check)]}})
    uuid = capsule['uuid']
    try:
        starting = wait_health(engine, uuid, 'api', 'starting', timeout=30)
        assert starting['status_detail'].endswith('(health: starting)')
        unhealthy = wait_health(engine, uuid, 'api', 'unhealthy')
        assert unhealthy['healthcheck']['output'] == \
            'database is not reachable'
        assert unhealthy['status_detail'].endswith('(unhealthy)')
        body = runtime.show(engine, uuid).json()
        # Running, as a pod whose readiness probe fails; the reason says why.
        assert body['status'] == 'Running'
        assert body['status_reason'] == (
            'Container api is unhealthy: database is not reachable')
    finally:
        runtime.delete_and_wait(engine, uuid)


def test_a_healthcheck_on_an_init_container_is_refused(engine):
    body = runtime.create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'health-init'},
        'spec': {'initContainers': [runtime.busybox(
            'setup', ['true'], healthcheck={'cmd': 'true'})],
            'containers': [runtime.busybox('app', ['sleep', '60'])]}},
        expect=400)
    assert 'template.spec.initContainers[0].healthcheck' in \
        body['errors'][0]['detail']

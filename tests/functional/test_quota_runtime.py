"""Quotas, capacity and default requests against engine processes on the
real Docker engine.

* 20 creates at once against a quota of 5 containers: exactly 5 accepted,
  on sqlite and on PostgreSQL, and exactly 5 capsules reach Docker;
* a capsule that does not fit the host's capacity (figures from ``docker
  info``) is refused at once with the figures, and nothing reaches Docker;
* containers without requests get the configured defaults as their Docker
  limits (``docker inspect`` of init and app containers), counted in usage.
"""

import concurrent.futures

import pytest
import requests

from heat_capsule.engine.runtime import spec as rspec
from tests.support import capsule_api
from tests.support import engine as engine_support
from tests.support import postgres

HEADERS = capsule_api.HEADERS
ADMIN = dict(HEADERS, **{'X-Roles': 'admin'})
MIB = 1024 * 1024


def _capsule(name, containers, init_containers=(), volumes=()):
    spec = {'containers': list(containers)}
    if init_containers:
        spec['initContainers'] = list(init_containers)
    if volumes:
        spec['volumes'] = list(volumes)
    return {'template': {'kind': 'capsule', 'metadata': {'name': name},
                         'spec': spec}}


def _sleeper(name, **requests_):
    container = {'name': name, 'image': 'busybox',
                 'command': ['sleep', '3600']}
    if requests_:
        container['resources'] = {'requests': requests_}
    return container


def _engine_containers(client, instance):
    return client.containers.list(all=True, filters={
        'label': '%s=%s' % (rspec.LABEL_ENGINE, instance)})


def _usage(engine, project='demo'):
    return requests.get('%s/v1/quotas/%s?usages=true' % (engine.url,
                                                         project),
                        headers=HEADERS, timeout=30).json()


@pytest.fixture(scope='module')
def docker_info(docker_client):
    return docker_client.info()


@pytest.fixture
def started():
    """Start engine processes; stop them and remove their Docker objects."""
    engines = []

    def start(extra_conf=''):
        engine_support.ensure_test_images()
        engine = engine_support.EngineProcess(extra_conf=extra_conf).start()
        engines.append(engine)
        return engine
    yield start
    for engine in engines:
        engine.stop()
        engine_support.remove_everything(engine.driver())


# --- concurrent creates never overshoot -------------------------------------

def _twenty_at_once(engine, docker_client):
    resp = requests.put(engine.url + '/v1/quotas/demo', json={
        'containers': 5}, headers=ADMIN, timeout=30)
    assert resp.status_code == 200, resp.text
    barrier = concurrent.futures.ThreadPoolExecutor(20)

    def create(index):
        return requests.post(engine.url + '/v1/capsules',
                             json=_capsule('race-%d' % index,
                                           [_sleeper('main')]),
                             headers=HEADERS, timeout=120)
    with barrier:
        responses = list(barrier.map(create, range(20)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [202] * 5 + [403] * 15, [r.text for r in responses]
    for refused in (r for r in responses if r.status_code == 403):
        error = refused.json()['errors'][0]
        assert error['code'] == 'container.over-quota'
        assert 'containers (limit 5, in use 5, requested 1)' in \
            error['detail']
    assert _usage(engine)['containers'] == {'limit': 5, 'in_use': 5}
    listed = requests.get(engine.url + '/v1/capsules', headers=HEADERS,
                          timeout=30).json()['capsules']
    assert len(listed) == 5
    engine_support.wait_for(
        lambda: sorted(c['status'] for c in requests.get(
            engine.url + '/v1/capsules', headers=HEADERS,
            timeout=30).json()['capsules']) == ['Running'] * 5,
        timeout=180, interval=1, what='the 5 admitted capsules Running')
    apps = [c for c in _engine_containers(docker_client, engine.instance)
            if c.labels.get(rspec.LABEL_ROLE) == rspec.ROLE_APP]
    assert len(apps) == 5


def test_twenty_concurrent_creates_against_five_on_sqlite(
        started, docker_client):
    _twenty_at_once(started(), docker_client)


def test_twenty_concurrent_creates_against_five_on_postgresql(
        started, docker_client):
    assert postgres.available(), (
        'Debian postgresql is not installed (tools/run-tests.sh installs it)')
    server = postgres.PostgresServer().start()
    engine = None
    try:
        url = server.create_database('quota_race')
        engine = started('[database]\nconnection = %s\n' % url)
        _twenty_at_once(engine, docker_client)
    finally:
        if engine is not None:
            engine.stop()   # before its database goes
        server.stop()


# --- capacity --------------------------------------------------------------

def test_a_capsule_that_does_not_fit_the_host_is_refused_at_once(
        started, docker_client, docker_info):
    """Docker's own figures: 1024 MiB and 1 CPU left for capsules."""
    host_memory = docker_info['MemTotal'] // MIB
    host_cpus = docker_info['NCPU']
    engine = started(
        '[compute]\nram_allocation_ratio = 1.0\ncpu_allocation_ratio = 1.0\n'
        'reserved_host_memory_mb = %d\nreserved_host_cpus = %d\n'
        % (host_memory - 1024, host_cpus - 1))

    resp = requests.post(engine.url + '/v1/capsules', json=_capsule(
        'huge', [_sleeper('big', memory=2048, cpu=0.5)]), headers=HEADERS,
        timeout=60)
    assert resp.status_code == 409, resp.text
    error = resp.json()['errors'][0]
    assert error['code'] == 'container.resources-unavailable'
    assert error['detail'] == (
        'Insufficient compute resources: memory: the capsule needs 2048 '
        'MiB, 1024 MiB free of 1024 MiB ((%d MiB of the Docker host - %d '
        'MiB reserved) x ram_allocation_ratio 1).'
        % (host_memory, host_memory - 1024))

    resp = requests.post(engine.url + '/v1/capsules', json=_capsule(
        'greedy', [_sleeper('cpu', memory=64, cpu=1.5)]), headers=HEADERS,
        timeout=60)
    assert resp.status_code == 409, resp.text
    assert ('cpu: the capsule needs 1.5 CPUs, 1 CPUs free of 1 CPUs ((%d '
            'CPUs of the Docker host - %d reserved) x cpu_allocation_ratio '
            '1)' % (host_cpus, host_cpus - 1)) in resp.json()['errors'][0][
        'detail']

    resp = requests.post(engine.url + '/v1/capsules', json=_capsule(
        'fits', [_sleeper('main', memory=1000, cpu=0.5)]), headers=HEADERS,
        timeout=60)
    assert resp.status_code == 202, resp.text
    fits = resp.json()['uuid']
    resp = requests.post(engine.url + '/v1/capsules', json=_capsule(
        'no-room', [_sleeper('main', memory=100)]), headers=HEADERS,
        timeout=60)
    assert resp.status_code == 409, resp.text
    assert 'needs 100 MiB, 24 MiB free of 1024 MiB' in \
        resp.json()['errors'][0]['detail']

    names = {c['name'] for c in requests.get(
        engine.url + '/v1/capsules', headers=HEADERS,
        timeout=30).json()['capsules']}
    assert names == {'fits'}
    engine_support.wait_for(
        lambda: len(_engine_containers(docker_client, engine.instance)) == 2,
        timeout=120, what="the fitting capsule's sandbox and container")
    assert {c.labels[rspec.LABEL_CAPSULE] for c in _engine_containers(
        docker_client, engine.instance)} == {fits}


# --- default requests ------------------------------------------------------

def test_containers_without_requests_get_the_default_limits(
        started, docker_client):
    engine = started('[compute]\ndefault_cpu = 0.25\ndefault_memory = 48\n')
    resp = requests.post(engine.url + '/v1/capsules', json=_capsule(
        'defaults',
        [_sleeper('plain'), _sleeper('sized', memory=64),
         _sleeper('cpu-only', cpu=1)],
        init_containers=[{'name': 'setup', 'image': 'busybox',
                          'command': ['true']}]),
        headers=HEADERS, timeout=60)
    assert resp.status_code == 202, resp.text
    shown = resp.json()
    by_name = {c['name']: c for c in shown['containers'] +
               shown['init_containers']}
    assert (by_name['plain']['cpu'], by_name['plain']['memory']) == \
        (0.25, '48')
    assert (shown['cpu'], shown['memory']) == (1.5, '160')

    engine_support.wait_for(
        lambda: requests.get(engine.url + '/v1/capsules/defaults',
                             headers=HEADERS, timeout=30).json()['status']
        == 'Running', timeout=120, what='Running')
    limits = {}
    for container in _engine_containers(docker_client, engine.instance):
        role = container.labels[rspec.LABEL_ROLE]
        if role == rspec.ROLE_SANDBOX:
            continue
        container.reload()
        host = container.attrs['HostConfig']
        name = container.attrs['Config']['Labels'].get(
            rspec.LABEL_CONTAINER)
        limits[[c for c in by_name.values() if c['uuid'] == name][0][
            'name']] = (role, host['NanoCpus'], host['Memory'])
    assert limits == {
        'setup': ('init', 250_000_000, 48 * MIB),
        'plain': ('app', 250_000_000, 48 * MIB),
        'sized': ('app', 250_000_000, 64 * MIB),
        'cpu-only': ('app', 1_000_000_000, 48 * MIB),
    }
    usage = _usage(engine)
    assert usage['containers']['in_use'] == 4
    assert usage['memory']['in_use'] == 160
    assert usage['cpu']['in_use'] == 1.5


def test_a_zero_default_means_no_limit(started, docker_client):
    engine = started('[compute]\ndefault_cpu = 0\ndefault_memory = 0\n')
    resp = requests.post(engine.url + '/v1/capsules', json=_capsule(
        'nodefault', [_sleeper('plain')]), headers=HEADERS, timeout=60)
    assert resp.status_code == 202, resp.text
    assert resp.json()['containers'][0]['memory'] is None
    engine_support.wait_for(
        lambda: [c for c in _engine_containers(docker_client,
                                               engine.instance)
                 if c.labels[rspec.LABEL_ROLE] == rspec.ROLE_APP],
        timeout=120, what='the app container')
    app = [c for c in _engine_containers(docker_client, engine.instance)
           if c.labels[rspec.LABEL_ROLE] == rspec.ROLE_APP][0]
    assert (app.attrs['HostConfig']['NanoCpus'],
            app.attrs['HostConfig']['Memory']) == (0, 0)

"""[limits] on real Docker: what one tenant's capsule can do to the host.

One ``heat-capsule-engine`` process with small limits (64 PIDs, 4 MiB x 2
log files, 32 ports per capsule). A neighbour capsule of another project
runs all along; each scenario measures the API's latency while it runs
(``tests.support.latency``: GETs of the neighbour and of the list, every
50 ms) and prints it beside an idle baseline (``pytest -s``); the figures
go to docs/benchmarks.md. No test asserts a time: the machine is shared.

* every container kind (sandbox, init, app) carries the PIDs limit and the
  json-file rotation, read back with ``docker inspect``;
* a fork bomb (bounded by ``timeout``, half a CPU) stops at the PIDs limit,
  the neighbour stays Running and can still start processes, and the bomb's
  capsule is deleted;
* a container printing 50 MB keeps its log files under the cap, and the
  logs call still returns the newest lines;
* a port flood: a capsule at the limit runs with every port published, and
  floods of creates over the limit (300 ports, and about 1 MiB of ports)
  are refused with 400 naming the field, creating nothing; through Heat's
  real engine, the stack fails with that message.

Every capsule is deleted by the test that made it, and the engine's
objects are removed at the end of the module even when a test fails.
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig

import glob  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

import docker  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402

from heat_capsule.engine.runtime import spec as rspec  # noqa: E402
from tests.support import capsule_api  # noqa: E402
from tests.support import engine as engine_support  # noqa: E402
from tests.support import latency  # noqa: E402

PIDS_LIMIT = 64
LOG_MAX_SIZE = 4       # MiB
LOG_MAX_FILES = 2
MAX_PORTS = 32
LIMITS_CONF = ('[limits]\npids_limit = %d\nlog_max_size = %d\n'
               'log_max_files = %d\nmax_ports_per_capsule = %d\n'
               % (PIDS_LIMIT, LOG_MAX_SIZE, LOG_MAX_FILES, MAX_PORTS))
TENANT, NEIGHBOUR = 'tenant-a', 'tenant-b'
FIGURES = {}
headers = capsule_api.headers


@pytest.fixture(scope='module')
def limited():
    """An engine process with small [limits]; everything removed after."""
    engine_support.ensure_test_images()
    process = engine_support.EngineProcess(extra_conf=LIMITS_CONF).start()
    yield process
    process.stop()
    engine_support.remove_everything(process.driver())
    for name, value in sorted(FIGURES.items()):
        print('limits figure: %s: %s' % (name, value))


@pytest.fixture(scope='module')
def client():
    return docker.from_env()


# The capsule API with the project first, as these tests read.
def create(engine, project, template, expect=202):
    return capsule_api.create(engine, template, expect, project=project)


def show(engine, project, ident):
    return capsule_api.show(engine, ident, project)


def wait_status(engine, project, ident, status, timeout=90):
    return capsule_api.wait_status(engine, ident, status, timeout, project)


def delete_and_time(engine, project, ident, timeout=90):
    """DELETE, then wait for the 404; seconds it took."""
    started = time.monotonic()
    capsule_api.delete_and_wait(engine, ident, timeout, project,
                                interval=0.1)
    return time.monotonic() - started


def labelled(client, capsule_uuid):
    label = '%s=%s' % (rspec.LABEL_CAPSULE, capsule_uuid)
    return client.containers.list(all=True, filters={'label': label})


def capsule(name, containers, **spec):
    return {'kind': 'capsule', 'metadata': {'name': name},
            'spec': dict(spec, containers=containers)}


@pytest.fixture(scope='module')
def neighbour(limited, client):
    """Another project's quiet capsule, and the idle API latency."""
    made = create(limited, NEIGHBOUR, capsule('calm', [
        {'name': 'calm', 'image': 'busybox', 'command': ['sleep', '3600']}]))
    wait_status(limited, NEIGHBOUR, made['uuid'], 'Running')
    urls = [limited.url + '/v1/capsules/' + made['uuid'],
            limited.url + '/v1/capsules']
    idle = latency.measure(urls, headers(NEIGHBOUR), 5)
    FIGURES['API latency, idle'] = latency.describe('idle', idle)
    yield made['uuid'], urls
    delete_and_time(limited, NEIGHBOUR, made['uuid'])


def probe(neighbour):
    return latency.LatencyProbe(neighbour[1], headers(NEIGHBOUR)).start()


def neighbour_is_fine(limited, client, neighbour):
    """Running in the API and in Docker, and it can still fork."""
    assert show(limited, NEIGHBOUR, neighbour[0]).json()['status'] == \
        'Running'
    calm = client.containers.get('hc-%s-calm' % neighbour[0])
    result = calm.exec_run(['sh', '-c', 'echo alive'])
    assert (result.exit_code, result.output) == (0, b'alive\n')


def test_every_container_kind_has_the_pids_limit_and_log_rotation(
        limited, client):
    made = create(limited, TENANT, capsule(
        'kinds', [{'name': 'app', 'image': 'busybox',
                   'command': ['sleep', '3600']}],
        initContainers=[{'name': 'setup', 'image': 'busybox',
                         'command': ['true']}]))
    try:
        wait_status(limited, TENANT, made['uuid'], 'Running')
        roles = {}
        for container in labelled(client, made['uuid']):
            host = container.attrs['HostConfig']
            role = container.labels[rspec.LABEL_ROLE]
            roles[role] = (host['PidsLimit'], host['LogConfig'])
        expected = (PIDS_LIMIT, {'Type': 'json-file', 'Config': {
            'max-size': '%dm' % LOG_MAX_SIZE,
            'max-file': str(LOG_MAX_FILES)}})
        assert roles == {'sandbox': expected, 'init': expected,
                         'app': expected}
    finally:
        delete_and_time(limited, TENANT, made['uuid'])


def _pids(container):
    stats = container.stats(stream=False, one_shot=True)
    return (stats.get('pids_stats') or {}).get('current') or 0


BOMB = ('f() { f | f & }; f; sleep 120')
# What busybox sh prints when the PIDs limit refuses a fork.
REFUSED = "can't fork: Resource temporarily unavailable"


def test_a_fork_bomb_stops_at_the_pids_limit(limited, client, neighbour):
    running = probe(neighbour)
    made = create(limited, TENANT, capsule(
        'bomb', [{'name': 'bomb', 'image': 'busybox',
                  'command': ['timeout', '-s', 'KILL', '90', 'sh', '-c',
                              BOMB],
                  'resources': {'requests': {'cpu': 0.5}}}],
        restartPolicy='Never'))
    try:
        wait_status(limited, TENANT, made['uuid'], 'Running')
        bomb = client.containers.get('hc-%s-bomb' % made['uuid'])
        bomb_uuid = made['containers'][0]['uuid']
        counts = [_pids(bomb)]
        # Until it is at the limit (processes that fail to fork exit, so
        # the count hovers just under it) and forks are being refused...
        engine_support.wait_for(
            lambda: counts.append(_pids(bomb)) or (
                counts[-1] >= PIDS_LIMIT - 8
                and REFUSED in _logs(limited, bomb_uuid, tail=50)),
            timeout=60, interval=0.2, what='the bomb held at its limit')
        # ...then 10 s more of it.
        held, pinned = [], time.monotonic()
        while time.monotonic() - pinned < 10:
            held.append(_pids(bomb))
            time.sleep(0.2)
        counts += held
        assert max(counts) <= PIDS_LIMIT, counts
        assert min(held) >= PIDS_LIMIT // 2, held    # still bombing
        refused = _logs(limited, bomb_uuid).count(REFUSED)
        neighbour_is_fine(limited, client, neighbour)
    finally:
        seconds = delete_and_time(limited, TENANT, made['uuid'])
        summary = running.stop()
    assert labelled(client, made['uuid']) == []
    neighbour_is_fine(limited, client, neighbour)
    FIGURES['fork bomb'] = (
        'processes at most %d (limit %d), %d-%d over 10 s; %d refused '
        'forks logged; delete to 404 %.1f s; %s' % (
            max(counts), PIDS_LIMIT, min(held), max(held), refused, seconds,
            latency.describe('API latency during it', summary)))
    assert summary['errors'] == 0


FLOOD_BYTES = 50 * 1000 * 1000
FLOOD_LINE = 'heat-capsule log flood ' + 'x' * 76    # 100 bytes with \n
FLOOD = ("yes '%s' | head -c %d; echo; echo FLOOD-END; sleep 600"
         % (FLOOD_LINE, FLOOD_BYTES))


def _logs(engine, container_uuid, **params):
    resp = requests.get(
        engine.url + '/v1/containers/%s/logs' % container_uuid,
        params=params, headers=headers(TENANT), timeout=60)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_log_flood_stays_under_the_cap(limited, client, neighbour):
    running = probe(neighbour)
    started = time.monotonic()
    made = create(limited, TENANT, capsule(
        'flood', [{'name': 'flood', 'image': 'busybox',
                   'command': ['timeout', '-s', 'KILL', '300', 'sh', '-c',
                               FLOOD]}], restartPolicy='Never'))
    try:
        wait_status(limited, TENANT, made['uuid'], 'Running')
        flood_uuid = made['containers'][0]['uuid']
        engine_support.wait_for(
            lambda: _logs(limited, flood_uuid, tail=1) == 'FLOOD-END\n',
            timeout=240, interval=0.5, what='the end of the flood')
        flooded = time.monotonic() - started
        summary = running.stop()

        flood = client.containers.get('hc-%s-flood' % made['uuid'])
        log_path = flood.attrs['LogPath']
        files = sorted(glob.glob(log_path + '*'))
        sizes = [os.path.getsize(path) for path in files]
        cap = LOG_MAX_SIZE * LOG_MAX_FILES * 1024 * 1024
        assert 1 <= len(files) <= LOG_MAX_FILES, files
        # Docker rotates after the write that crosses max-size: one json
        # line (~150 bytes) over per file at most.
        assert sum(sizes) <= cap + LOG_MAX_FILES * 4096, sizes

        # The newest lines come back, whole, after the rotations.
        tail = _logs(limited, flood_uuid, tail=3)
        assert tail == FLOOD_LINE + '\n\nFLOOD-END\n', tail[-300:]
        everything = _logs(limited, flood_uuid)
        assert everything.endswith('\nFLOOD-END\n')
        kept_lines = everything.count(FLOOD_LINE + '\n')
        assert 0 < kept_lines < FLOOD_BYTES // (len(FLOOD_LINE) + 1)
        neighbour_is_fine(limited, client, neighbour)
    finally:
        running.stop()
        seconds = delete_and_time(limited, TENANT, made['uuid'])
    FIGURES['log flood'] = (
        '%d MB printed in %.1f s; json log files %s = %.1f MiB (cap %d '
        'MiB); logs call: %d whole lines of the newest; delete %.1f s; %s'
        % (FLOOD_BYTES // 1000000, flooded, len(files), sum(sizes) / 2**20,
           cap // 2**20, kept_lines, seconds,
           latency.describe('API latency during it', summary)))
    assert summary['errors'] == 0


def _ports(count, first=8000):
    return [{'containerPort': first + i} for i in range(count)]


def _flood(engine, count, seconds, until=lambda: True):
    """Creates declaring `count` ports each for `seconds` (and until
    `until()`): all 400 naming the field. Returns (requests, body size)."""
    body = json.dumps({'template': capsule('flood', [{
        'image': 'busybox', 'ports': _ports(count, 1)}])})
    sent, deadline = 0, time.monotonic() + seconds
    while not until() or time.monotonic() < deadline:
        sent += 1
        resp = requests.post(engine.url + '/v1/capsules', data=body,
                             headers=headers(TENANT), timeout=30)
        assert resp.status_code == 400, resp.text
        assert ("'template.spec.containers[0].ports[%d]'" % MAX_PORTS
                in resp.json()['errors'][0]['detail'])
    return sent, len(body)


def test_a_port_flood_is_refused_and_the_limit_runs(limited, client,
                                                    neighbour):
    before = requests.get(limited.url + '/v1/capsules',
                          headers=headers(TENANT), timeout=10).json()
    running = probe(neighbour)
    started = time.monotonic()
    made = create(limited, TENANT, capsule('ports', [{
        'name': 'web', 'image': 'busybox', 'command': ['sleep', '3600'],
        'ports': _ports(MAX_PORTS)}]))
    try:
        # While the capsule at the limit starts, and for 10 s at least:
        # creates of 300 ports (the bug report's case), one after another.
        running_at = []

        def is_running():
            if not running_at and show(limited, TENANT, made['uuid']).json(
                    )['status'] == 'Running':
                running_at.append(time.monotonic())
            return bool(running_at)

        small, _size = _flood(limited, 300, 10, until=is_running)
        created = running_at[0] - started
        summary = running.stop()
        # Then 10 s of bodies of about 0.5 MiB of ports, measured on their
        # own: their cost is decoding the JSON, as for any body that large.
        running = probe(neighbour)
        big, size = _flood(limited, 20000, 10)
        big_summary = running.stop()

        sandbox = client.containers.get('hc-%s' % made['uuid'])
        published = sandbox.attrs['NetworkSettings']['Ports']
        assert len(published) == MAX_PORTS
        assert all(binding and binding[0]['HostIp'] == '127.0.0.1'
                   for binding in published.values())
        listed = requests.get(limited.url + '/v1/capsules',
                              headers=headers(TENANT), timeout=10).json()
        assert len(listed['capsules']) == len(before['capsules']) + 1
        neighbour_is_fine(limited, client, neighbour)
    finally:
        running.stop()
        seconds = delete_and_time(limited, TENANT, made['uuid'])
    FIGURES['port flood'] = (
        '%d creates of 300 ports refused (400) while a %d-port capsule '
        'started (Running %.1f s after its create; deleted in %.1f s): %s; '
        '%d creates of 20,000 ports (%d KiB bodies) refused: %s' % (
            small, MAX_PORTS, created, seconds,
            latency.describe('API latency', summary), big, size // 1024,
            latency.describe('API latency', big_summary)))
    assert summary['errors'] == 0 and big_summary['errors'] == 0


PORTS_STACK = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - name: web
          image: busybox
          command: [sleep, "600"]
          ports: %s
'''


def test_heat_reports_the_port_limit(limited):
    """Through Heat: the create fails with the engine's 400, naming the
    field, and no capsule is made."""
    rig = heat_rig.HeatRig(limited.url + '/v1').start()
    try:
        ports = [{'container_port': 9000 + i} for i in range(MAX_PORTS + 1)]
        identity = rig.create_stack('too-many-ports',
                                    PORTS_STACK % json.dumps(ports))
        stack = rig.wait(identity, 'CREATE')
        assert stack['stack_status'] == 'FAILED'
        reason = stack['stack_status_reason']
        print('heat says: %s' % reason)
        assert ("'template.spec.containers[0].ports[%d]'" % MAX_PORTS
                in reason), reason
        assert 'at most %d ports' % MAX_PORTS in reason, reason
        assert requests.get(limited.url + '/v1/capsules', timeout=10
                            ).json()['capsules'] == []
    finally:
        rig.delete_all()
        rig.stop()

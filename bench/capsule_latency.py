"""Benchmarks 1 and 2: create-to-Running, alone and 50 at a time.

1. One capsule at a time, engine (POST, then poll GET until Running)
   against the docker SDK doing the same work, interleaved run by run so
   both see the same machine load.
2. 50 capsules created concurrently until all are Running, then deleted
   until gone: the engine against a thread pool driving the docker SDK.
   With the engine's default grace period (graceful delete, 10 s): once
   with ``sleep`` as PID 1, which ignores SIGTERM and is killed when the
   grace period is over, once with a shell that exits on SIGTERM. The
   reference deletes with ``docker stop`` (the stop signal, Docker's
   default 10 s, SIGKILL) before removing, the same sequence.

The one-at-a-time creates ask for terminationGracePeriodSeconds 0: only
their create is measured, and their deletes must not linger into the next
run.
"""

import concurrent.futures
import time

import docker
import requests

from bench import raw_docker
from bench import stats

HEADERS = {'Content-Type': 'application/json',
           'OpenStack-API-Version': 'container 1.40'}
SLEEP = ['sleep', '3600']
# Exits as soon as SIGTERM comes (``wait`` returns for a trapped signal).
EXITS_ON_SIGTERM = ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait']
# Docker's and the engine's default grace period, for the reference.
DEFAULT_GRACE = 10


def one_container(command=SLEEP, grace=None):
    spec = {'containers': [{'image': 'busybox', 'command': command,
                            'resources': {'requests': {
                                'cpu': 0.5, 'memory': 64}}}]}
    if grace is not None:
        spec['terminationGracePeriodSeconds'] = grace
    return {'kind': 'capsule', 'metadata': {}, 'spec': spec}


def quick_delete():
    return one_container(grace=0)


def three_plus_init():
    app = {'image': 'busybox', 'command': SLEEP,
           'resources': {'requests': {'cpu': 0.25, 'memory': 32}}}
    return {'kind': 'capsule', 'metadata': {},
            'spec': {'initContainers': [{'image': 'busybox',
                                         'command': ['true']}],
                     'containers': [dict(app, name='c%d' % i)
                                    for i in range(3)],
                     'terminationGracePeriodSeconds': 0}}


class EngineClient:
    def __init__(self, url, poll_interval):
        self.url = url
        self.poll = poll_interval
        self.session = requests.Session()
        self.session.mount('http://',
                           requests.adapters.HTTPAdapter(pool_maxsize=64))

    def create(self, template):
        resp = self.session.post(self.url + '/v1/capsules',
                                 json={'template': template},
                                 headers=HEADERS, timeout=60)
        resp.raise_for_status()
        return resp.json()['uuid']

    def status(self, capsule_uuid):
        resp = self.session.get(self.url + '/v1/capsules/' + capsule_uuid,
                                headers=HEADERS, timeout=60)
        return resp.json().get('status') if resp.ok else resp.status_code

    def wait(self, capsule_uuid, wanted, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status(capsule_uuid)
            if status == wanted:
                return
            if status == 'Error':
                raise RuntimeError('capsule %s went to Error' % capsule_uuid)
            time.sleep(self.poll)
        raise RuntimeError('capsule %s not %s' % (capsule_uuid, wanted))

    def run(self, template):
        capsule_uuid = self.create(template)
        self.wait(capsule_uuid, 'Running')
        return capsule_uuid

    def delete(self, capsule_uuid):
        self.session.delete(self.url + '/v1/capsules/' + capsule_uuid,
                            headers=HEADERS, timeout=60)

    def delete_and_wait(self, capsule_uuid):
        self.delete(capsule_uuid)
        self.wait(capsule_uuid, 404)


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def sequential(engine, raw, template_factory, runs, poll):
    """Interleave engine and raw runs; return both lists of seconds."""
    client = EngineClient(engine.url, poll)
    engine_times, raw_times = [], []
    for _ in range(runs):
        seconds, capsule_uuid = timed(client.run, template_factory())
        engine_times.append(seconds)
        client.delete_and_wait(capsule_uuid)
        seconds, tag = timed(raw.create, template_factory())
        raw_times.append(seconds)
        raw.delete(tag)
    return engine_times, raw_times


def wait_all(client, uuids, wanted, timeout=600):
    """Poll the list (one call per interval, not one per capsule)."""
    deadline = time.monotonic() + timeout
    remaining = set(uuids)
    while remaining and time.monotonic() < deadline:
        resp = client.session.get(client.url + '/v1/capsules',
                                  headers=HEADERS, timeout=60)
        statuses = {c['uuid']: c['status']
                    for c in resp.json()['capsules']}
        if wanted is None:
            remaining &= set(statuses)
        else:
            remaining = {u for u in remaining if statuses.get(u) != wanted}
        if remaining:
            time.sleep(client.poll)
    if remaining:
        raise RuntimeError('%d capsules did not reach %s'
                           % (len(remaining), wanted or 'deletion'))


def concurrent_round(engine, raw, count, poll, command=SLEEP):
    """Seconds for count capsules to all run and then all be gone.

    The client posts all creates at once and then watches the list every
    ``poll`` seconds, as a dashboard would; the reference runs the same
    containers from a pool of ``count`` threads. The capsules run
    `command`, with the engine's default grace period.
    """
    client = EngineClient(engine.url, poll)
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        start = time.perf_counter()
        uuids = list(pool.map(lambda _: client.create(one_container(
            command)), range(count)))
        wait_all(client, uuids, 'Running')
        engine_up = time.perf_counter() - start
        start = time.perf_counter()
        list(pool.map(client.delete, uuids))
        wait_all(client, uuids, None)
        engine_down = time.perf_counter() - start

        start = time.perf_counter()
        tags = list(pool.map(lambda _: raw.create(one_container(command)),
                             range(count)))
        raw_up = time.perf_counter() - start
        start = time.perf_counter()
        list(pool.map(lambda tag: raw.delete(tag, DEFAULT_GRACE), tags))
        raw_down = time.perf_counter() - start
    return engine_up, engine_down, raw_up, raw_down


def concurrent_rows(engine, raw, rounds, count, command, what):
    ups, downs, raw_ups, raw_downs = [], [], [], []
    for _ in range(rounds):
        e_up, e_down, r_up, r_down = concurrent_round(engine, raw, count,
                                                      0.1, command)
        ups.append(e_up)
        downs.append(e_down)
        raw_ups.append(r_up)
        raw_downs.append(r_down)
    return [
        stats.row('%d concurrent creates, all Running (%s)' % (count, what),
                  ups, raw_ups),
        stats.row('%d concurrent deletes, all gone, default grace period '
                  '(%s)' % (count, what), downs, raw_downs),
        stats.row('%d concurrent, create + delete (%s)' % (count, what),
                  [a + b for a, b in zip(ups, downs)],
                  [a + b for a, b in zip(raw_ups, raw_downs)])]


def leftovers(client, instance):
    return len(client.containers.list(all=True, filters={
        'label': 'io.heat-capsule.engine=%s' % instance}))


def main(engine, runs=20, rounds=3, count=50, poll=0.01):
    client = docker.from_env()
    # A bridge network of the raw path's own, as the engine has one per
    # project (made at its first capsule, i.e. during the warm-up).
    network = client.networks.create('hc-bench-raw-%s' % engine.instance,
                                     driver='bridge')
    raw = raw_docker.RawCapsules(client, network.name,
                                 'heat-capsule/sandbox:1')
    rows = []
    try:
        # Warm up both paths (network, images, page cache).
        sequential(engine, raw, quick_delete, 2, poll)
        for name, factory in (('1 container', quick_delete),
                              ('3 containers + 1 init', three_plus_init)):
            engine_times, raw_times = sequential(engine, raw, factory, runs,
                                                 poll)
            rows.append(stats.row('create-to-Running, %s (poll %d ms)'
                                  % (name, poll * 1000), engine_times,
                                  raw_times))
        engine_times, raw_times = sequential(engine, raw, quick_delete,
                                             max(5, runs // 2), 0.1)
        rows.append(stats.row('create-to-Running, 1 container (poll 100 ms)',
                              engine_times, raw_times))
        for what, command in (('sleep, ignores SIGTERM', SLEEP),
                              ('exits on SIGTERM', EXITS_ON_SIGTERM)):
            rows.extend(concurrent_rows(engine, raw, rounds, count,
                                        command, what))
    finally:
        raw.delete_all()
        network.remove()
    left = leftovers(client, engine.instance)
    return rows, {'engine containers left behind': left}

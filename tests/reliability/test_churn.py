"""Churn: mixed creates and deletes against a real engine and real Docker.

A ``heat-capsule-engine`` process (runtime on) gets 200 requests (times
HC_RELIABILITY_SCALE) from 20 threads: creates of one-container busybox
capsules (``sleep 3600``; a third of them with an auto-removed volume) mixed
with deletes of capsules created earlier in the run, picked at random with a
fixed seed (the plan of creates and deletes is fixed; which capsule a delete
gets also depends on which creates have answered by then). No response may
be a 5xx. Then every remaining capsule must reach Running; after they are
all deleted, the API must list none and Docker must hold no container and no
volume labelled with this engine's instance
(``io.heat-capsule.engine=<instance>``): no leaks. ``pytest -s`` prints the
figures.
"""

import collections
import concurrent.futures
import random
import threading
import time

import pytest
import requests

from heat_capsule.engine.runtime import spec as rspec
from tests import reliability
from tests.support import engine as engine_support

OPERATIONS = 200 * reliability.scale()
DELETES = 70 * reliability.scale()
CONCURRENCY = 20
SEED = 20261128
HEADERS = {'OpenStack-API-Version': 'container 1.40',
           'Content-Type': 'application/json'}


def template(name, volume=False):
    """One busybox container; with ``volume`` also a 1 GiB auto-removed
    volume mounted at /data, so that volume leaks are checked too."""
    container = {'image': engine_support.BUSYBOX,
                 'command': ['sleep', '3600']}
    spec = {'containers': [container]}
    if volume:
        container['volumeMounts'] = [{'name': 'data', 'mountPath': '/data'}]
        spec['volumes'] = [{'name': 'data',
                            'cinder': {'size': 1, 'autoRemove': True}}]
    return {'template': {'kind': 'capsule', 'metadata': {'name': name},
                         'spec': spec}}


def plan(rng):
    """The operations in order: a delete never comes before enough creates
    for it to have a target."""
    ops = ['create'] * (OPERATIONS - DELETES) + ['delete'] * DELETES
    while True:
        rng.shuffle(ops)
        created = 0
        ok = True
        for i, op in enumerate(ops):
            created += op == 'create'
            # Keep a margin: deletes target creates that have answered.
            if op == 'delete' and created - (i - created) < CONCURRENCY:
                ok = False
                break
        if ok and ops[:CONCURRENCY].count('delete') == 0:
            return ops


def listed(url):
    resp = requests.get(url + '/v1/capsules?limit=1000', headers=HEADERS,
                        timeout=30)
    assert resp.status_code == 200, resp.text
    return {c['uuid']: c for c in resp.json()['capsules']}


def docker_leftovers(client, instance):
    label = {'label': '%s=%s' % (rspec.LABEL_ENGINE, instance)}
    containers = client.containers.list(all=True, filters=label)
    volumes = client.volumes.list(filters=label)
    return [c.name for c in containers], [v.name for v in volumes]


@pytest.fixture
def engine():
    try:
        client = engine_support.ensure_test_images()
        client.ping()
    except Exception as exc:  # noqa: no Docker here
        pytest.skip('no Docker engine: %s' % exc)
    process = engine_support.EngineProcess(
        extra_conf=engine_support.NO_QUOTA_CONF).start()
    yield process, client
    process.stop()
    engine_support.remove_everything(process.driver())
    client.close()


def test_churn_leaves_nothing_behind(engine):
    process, client = engine
    rng = random.Random(SEED)
    ops = plan(rng)
    lock = threading.Lock()
    alive = []            # created, answered, not yet picked for deletion
    statuses = collections.Counter()
    problems = []
    session_local = threading.local()

    def session():
        if not hasattr(session_local, 'session'):
            session_local.session = requests.Session()
        return session_local.session

    def run(index, op):
        if op == 'delete':
            deadline = time.monotonic() + 60
            while True:
                with lock:
                    if alive:
                        target = alive.pop(rng.randrange(len(alive)))
                        break
                if time.monotonic() > deadline:
                    problems.append('op %d: nothing to delete' % index)
                    return
                time.sleep(0.05)
            resp = session().delete(
                '%s/v1/capsules/%s' % (process.url, target),
                headers=HEADERS, timeout=60)
            expected = 204
        else:
            resp = session().post(
                process.url + '/v1/capsules', headers=HEADERS,
                json=template('churn-%d' % index, volume=index % 3 == 0),
                timeout=60)
            expected = 202
            if resp.status_code == 202:
                with lock:
                    alive.append(resp.json()['uuid'])
        with lock:
            statuses['%s %d' % (op, resp.status_code)] += 1
        if resp.status_code != expected:
            problems.append('op %d %s: %d %s' % (
                index, op, resp.status_code, resp.text[:300]))

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        for future in [pool.submit(run, i, op) for i, op in enumerate(ops)]:
            future.result()
    requests_done = time.monotonic() - started
    assert not any(' 5' in key for key in statuses), statuses
    assert not problems, problems

    remaining = set(alive)

    def all_running():
        now = listed(process.url)
        errors = {u: (now[u]['status'], now[u]['status_reason'])
                  for u in remaining
                  if u in now and now[u]['status'] == 'Error'}
        assert not errors, errors
        return (set(now) == remaining and
                all(now[u]['status'] == 'Running' for u in remaining))
    engine_support.wait_for(all_running, timeout=120, interval=1,
                            what='%d capsules Running' % len(remaining))
    running_after = time.monotonic() - started

    for capsule_uuid in sorted(remaining):
        resp = requests.delete('%s/v1/capsules/%s' % (process.url,
                                                      capsule_uuid),
                               headers=HEADERS, timeout=60)
        statuses['final delete %d' % resp.status_code] += 1
        assert resp.status_code == 204, resp.text
    engine_support.wait_for(lambda: not listed(process.url), timeout=120,
                            interval=1, what='the API lists no capsule')
    containers, volumes = [], []

    def docker_clean():
        containers[:], volumes[:] = docker_leftovers(client,
                                                     process.instance)
        return not containers and not volumes
    try:
        engine_support.wait_for(docker_clean, timeout=30, interval=0.5,
                                what='no Docker object of the engine')
    finally:
        print('\nchurn: %d operations (%d creates, %d deletes) at '
              'concurrency %d in %.1fs; all %d remaining Running at %.1fs; '
              'all deleted at %.1fs; statuses %s; leaks: %d containers %s, '
              '%d volumes %s' % (
                  OPERATIONS, OPERATIONS - DELETES, DELETES, CONCURRENCY,
                  requests_done, len(remaining), running_after,
                  time.monotonic() - started, dict(sorted(statuses.items())),
                  len(containers), containers, len(volumes), volumes))

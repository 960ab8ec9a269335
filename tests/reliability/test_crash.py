"""Crash safety: SIGKILL the engine at random points of 20 creates and 20
deletes (times HC_RELIABILITY_SCALE), restart it each time; every capsule
reaches its final state and Docker's labelled containers and volumes match
the database exactly.

The kill points come from a seeded random generator (reproducible plan);
where they land in the engine's work depends on timing, which is the point.
"""

import random
import time

import docker
import requests

from heat_capsule.engine.runtime import spec as rspec
from tests import reliability
from tests.support import capsule_api
from tests.support import engine as engine_support

HEADERS = capsule_api.HEADERS
SEED = 20261128
CAPSULES = 20 * reliability.scale()


def template(index):
    """Capsules with an init container and, every other one, a volume."""
    spec = {'initContainers': [{'name': 'init', 'image': 'busybox',
                                'command': ['sleep', '0.3']}],
            'containers': [{'name': 'main', 'image': 'busybox',
                            'command': ['sleep', '3600']}]}
    if index % 2:
        spec['volumes'] = [{'name': 'data', 'cinder': {
            'size': 1, 'autoRemove': True}}]
        spec['containers'][0]['volumeMounts'] = [
            {'name': 'data', 'mountPath': '/data'}]
    return {'kind': 'capsule', 'metadata': {'name': 'crash-%d' % index},
            'spec': spec}


def listed(url):
    resp = requests.get(url + '/v1/capsules', headers=HEADERS, timeout=30)
    return {c['uuid']: c for c in resp.json()['capsules']}


def docker_state(client, instance):
    owner = '%s=%s' % (rspec.LABEL_ENGINE, instance)
    containers = {}
    # ignore_removed: one removed between Docker's list and the SDK's
    # inspect of each is gone, not an error.
    for container in client.containers.list(all=True, ignore_removed=True,
                                            filters={'label': owner}):
        containers.setdefault(container.labels[rspec.LABEL_CAPSULE],
                              set()).add(container.name)
    volumes = {v.attrs['Labels'][rspec.LABEL_VOLUME]
               for v in client.volumes.list(filters={'label': owner})}
    return containers, volumes


def kill_and_restart(engine, rng, during):
    """Run ``during`` in steps, SIGKILLing the engine at random steps."""
    kills = 0
    for step in during:
        step()
        if rng.random() < 0.35:
            time.sleep(rng.uniform(0, 0.4))
            engine.kill(9)
            kills += 1
            engine.start()
    return kills


def test_sigkill_at_random_points_loses_and_leaks_nothing():
    engine_support.ensure_test_images()
    client = docker.from_env()
    rng = random.Random(SEED)
    engine = engine_support.EngineProcess().start()
    try:
        created = []

        def create(index):
            def step():
                resp = requests.post(
                    engine.url + '/v1/capsules', headers=HEADERS,
                    json={'template': template(index)}, timeout=30)
                assert resp.status_code == 202, resp.text
                created.append(resp.json()['uuid'])
            return step

        kills = kill_and_restart(engine, rng,
                                 [create(i) for i in range(CAPSULES)])

        def all_running():
            capsules = listed(engine.url)
            return all(capsules.get(u, {}).get('status') == 'Running'
                       for u in created)
        engine_support.wait_for(all_running, timeout=180 + 6 * CAPSULES,
                                interval=1,
                                what='%d capsules Running after kills'
                                % CAPSULES)
        # Docker holds exactly what the database says: per capsule its
        # sandbox, init and app container; one volume per odd capsule.
        containers, volumes = docker_state(client, engine.instance)
        assert set(containers) == set(created) == set(listed(engine.url))
        assert all(len(names) == 3 for names in containers.values())
        assert len(volumes) == CAPSULES // 2

        doomed = rng.sample(created, CAPSULES)

        def delete(capsule_uuid):
            def step():
                resp = requests.delete(engine.url + '/v1/capsules/' +
                                       capsule_uuid, headers=HEADERS,
                                       timeout=30)
                assert resp.status_code == 204, resp.text
            return step

        kills += kill_and_restart(engine, rng,
                                  [delete(u) for u in doomed])
        engine_support.wait_for(lambda: listed(engine.url) == {},
                                timeout=180 + 6 * CAPSULES, interval=1,
                                what='%d deletes finished after kills'
                                % CAPSULES)
        containers, volumes = docker_state(client, engine.instance)
        print('\nSIGKILLs: %d; orphan containers: %d; orphan volumes: %d'
              % (kills, sum(len(c) for c in containers.values()),
                 len(volumes)))
        assert kills > 0
        assert containers == {}, 'orphan containers'
        assert volumes == set(), 'orphan volumes'
    finally:
        engine.stop()
        engine_support.remove_everything(engine.driver())

"""Benchmark 3: API latency as the database grows (100, 1,000, 10,000).

The records are seeded through the engine's own DB layer (the same
``records.build`` and ``Database.create_capsule`` the API uses, one
container each, status Running) into the database of an engine process
started with ``[runtime] enabled = false``: this measures the API and the
database, not Docker. The engine serves over its real WSGI server; the
client keeps its connection alive, as python-zunclient does.
"""

import time
import types

import requests

from bench import stats
from heat_capsule.engine.db import api as db_api
from heat_capsule.engine import records
from tests.support import engine as engine_support

HEADERS = {'OpenStack-API-Version': 'container 1.40'}
TEMPLATE = {'kind': 'capsule', 'metadata': {'name': 'seeded',
                                            'labels': {'app': 'bench'}},
            'spec': {'containers': [{'name': 'main', 'image': 'busybox',
                                     'command': ['sleep', '3600'],
                                     'env': {'A': 'b'},
                                     'resources': {'requests': {
                                         'cpu': 0.5, 'memory': 64}}}]}}
CTX = types.SimpleNamespace(project_id='demo', user_id='demo')


def seed(url, count):
    database = db_api.Database(url)
    database.upgrade()
    uuids = []
    for _ in range(count):
        capsule, volumes, attach, _ = records.build(TEMPLATE, CTX)
        capsule.status = 'Running'
        for container in capsule.containers:
            container.status = 'Running'
        database.create_capsule(capsule, volumes, attach)
        uuids.append(capsule.uuid)
    database.engine.dispose()
    return uuids


def measure(session, url, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        resp = session.get(url, headers=HEADERS, timeout=60)
        times.append(time.perf_counter() - start)
        resp.raise_for_status()
    return times


def run_size(count, repeat_show, repeat_list):
    engine = engine_support.EngineProcess(
        extra_conf='enabled = false\n')
    uuids = seed('sqlite:///%s/engine.sqlite' % engine.state_dir, count)
    engine.start()
    try:
        session = requests.Session()
        middle = uuids[len(uuids) // 2]
        measure(session, engine.url + '/v1/capsules/' + middle, 5)
        show = measure(session, engine.url + '/v1/capsules/' + middle,
                       repeat_show)
        first_page = measure(session, engine.url + '/v1/capsules',
                             repeat_list)
        body = session.get(engine.url + '/v1/capsules', headers=HEADERS,
                           timeout=60).json()
        return {'records': count, 'show': stats.summary(show),
                'list': stats.summary(first_page),
                'listed': len(body['capsules'])}
    finally:
        engine.stop()


def main(quick=False):
    sizes = (100, 1000) if quick else (100, 1000, 10000)
    lines = ['| records | GET show median | GET show p99 | GET list median '
             '| GET list p99 | capsules per list page |',
             '|---|---|---|---|---|---|']
    for count in sizes:
        result = run_size(count, repeat_show=50 if quick else 300,
                          repeat_list=10 if quick else 50)
        lines.append('| %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %d |' % (
            count, result['show']['median'] * 1000,
            result['show']['p99'] * 1000, result['list']['median'] * 1000,
            result['list']['p99'] * 1000, result['listed']))
    lines.append('\nA list returns at most `[api] max_limit` (1,000) '
                 'capsules; beyond that a client follows `next`.\n')
    return '\n'.join(lines)

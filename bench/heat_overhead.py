"""Benchmark 4: what Heat adds on top of the engine.

Heat 27's real engine (EngineService, convergence) runs in this process on
fake messaging (tests/support/heat_rig.py) with Heat's own 1 s resource
polling left as it is and its database on PostgreSQL (as Heat is
deployed), against a heat-capsule-engine process. A stack of
1 and of 20 OS::Zun::Capsule resources is timed from the create call to
CREATE_COMPLETE; the engine alone is timed doing the same creates (20 at
once for the 20-capsule case), from the first POST until all are Running.
"""

import concurrent.futures
import time
import uuid

from bench import capsule_latency
from bench import stats
from tests.support import engine as engine_support
from tests.support import heat_rig
from tests.support import postgres


def stack_template(count):
    resources = {}
    for index in range(count):
        resources['capsule%d' % index] = {
            'type': 'OS::Zun::Capsule',
            'properties': {'containers': [{
                'name': 'main', 'image': 'busybox',
                'command': ['sleep', '3600']}]}}
    return {'heat_template_version': '2021-04-16', 'resources': resources}


def engine_template():
    return {'kind': 'capsule', 'metadata': {},
            'spec': {'containers': [{'name': 'main', 'image': 'busybox',
                                     'command': ['sleep', '3600']}]}}


def heat_round(rig, count, template=None):
    """Seconds from create to CREATE_COMPLETE of a stack of `count`
    capsules (or of `template`); the stack is deleted after."""
    start = time.perf_counter()
    identity = rig.create_stack('bench-%s' % uuid.uuid4().hex[:8],
                                template or stack_template(count),
                                timeout_mins=10)
    stack = rig.wait(identity, 'CREATE', timeout=600)
    seconds = time.perf_counter() - start
    if stack['stack_status'] != 'COMPLETE':
        raise RuntimeError('stack failed: %s' % stack['stack_status_reason'])
    rig.delete_stack(identity)
    rig.wait_deleted(identity, timeout=600)
    return seconds


def engine_round(client, count):
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        start = time.perf_counter()
        uuids = list(pool.map(lambda _: client.run(engine_template()),
                              range(count)))
        seconds = time.perf_counter() - start
        list(pool.map(client.delete_and_wait, uuids))
    return seconds


def heat_table(rows):
    """stats.format_rows with Heat's and the engine's column names."""
    table = stats.format_rows(rows)
    for old, new in (('engine median', 'Heat median'),
                     ('engine p99', 'Heat p99'),
                     ('docker median', 'engine-only median'),
                     ('docker p99', 'engine-only p99')):
        table = table.replace(old, new, 1)
    return table


def main(quick=False):
    runs = {1: 3 if quick else 10, 20: 1 if quick else 3}
    server = postgres.PostgresServer().start()
    engine = engine_support.EngineProcess(
        extra_conf=engine_support.NO_QUOTA_CONF).start()
    rig = heat_rig.HeatRig(engine.url + '/v1', poll_interval=None,
                           database_url=server.create_database('heat'))
    rig.start()
    rows = []
    try:
        client = capsule_latency.EngineClient(engine.url, 0.01)
        engine_round(client, 1)                 # warm-up
        for count in (1, 20):
            heat_times, engine_times = [], []
            for _ in range(runs[count]):
                heat_times.append(heat_round(rig, count))
                engine_times.append(engine_round(client, count))
            rows.append(stats.row('%d-capsule stack to CREATE_COMPLETE vs '
                                  'engine alone' % count, heat_times,
                                  engine_times))
            rows[-1]['added'] = (rows[-1]['engine_median'] -
                                 rows[-1]['reference_median'])
    finally:
        rig.stop()
        engine.stop()
        engine_support.remove_everything(engine.driver())
        server.stop()
    table = heat_table(rows)
    added = '\n'.join('- %s: Heat adds %.2f s (median)'
                      % (r['case'], r['added']) for r in rows)
    return table + '\n\n' + added + '\n'

"""Benchmark 5: the engine's memory (RSS), idle and with running capsules.

RSS is read from /proc/<pid>/status of the heat-capsule-engine process
(API, reconciler and Docker client in one process, sqlite database).
"""

import concurrent.futures

import requests

from bench import capsule_latency
from tests.support import engine as engine_support


def rss_mib(pid):
    with open('/proc/%d/status' % pid) as handle:
        for line in handle:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError('no VmRSS for %d' % pid)


def main(count=100):
    engine = engine_support.EngineProcess(
        extra_conf=engine_support.NO_QUOTA_CONF).start()
    try:
        pid = engine.proc.pid
        client = capsule_latency.EngineClient(engine.url, 0.2)
        requests.get(engine.url + '/v1/capsules', timeout=10)
        idle = rss_mib(pid)
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            uuids = list(pool.map(
                lambda _: client.run(capsule_latency.one_container()),
                range(count)))
            loaded = rss_mib(pid)
            # A few full lists and shows with everything running.
            for _ in range(5):
                requests.get(engine.url + '/v1/capsules', timeout=30)
            listed = rss_mib(pid)
            list(pool.map(client.delete_and_wait, uuids))
        after = rss_mib(pid)
    finally:
        engine.stop()
        engine_support.remove_everything(engine.driver())
    return ('| state | engine RSS |\n|---|---|\n'
            '| idle, after start-up and one list | %.1f MiB |\n'
            '| %d capsules Running | %.1f MiB |\n'
            '| %d capsules Running, after 5 full lists | %.1f MiB |\n'
            '| all deleted again | %.1f MiB |\n'
            % (idle, count, loaded, count, listed, after))

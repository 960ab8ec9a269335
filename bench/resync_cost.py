"""What the periodic resync costs with many capsules running quietly.

    python -m bench.resync_cost [--capsules N] [--interval S]
                                [--window S] [--baseline DIR]

An engine (the code of this checkout, and with ``--baseline`` one running
the code found in DIR, one after the other) runs N 1-container capsules
that do nothing (``sleep``); its resync runs every `interval` seconds.
Over `window` seconds of that quiet, the engine's CPU time and Docker's
(dockerd and containerd) are read from /proc (psutil), and the engine's
Docker calls are counted through a proxy that keeps their paths
(tests/support/docker_proxy.py).  Nothing else happens in the window:
what is measured is the resyncs, per resync.
"""

import argparse
import concurrent.futures
import os
import tempfile
import time

import psutil

from bench import capsule_latency
from bench import create_speed
from bench import create_trace
from tests.support import engine as engine_support


def quiet_capsule():
    """A capsule that sleeps, with no resource request (the host's
    allocation limits would refuse 100 capsules asking for 0.5 CPU on a
    2-core machine)."""
    return {'kind': 'capsule', 'metadata': {},
            'spec': {'containers': [{'image': 'busybox',
                                     'command': capsule_latency.SLEEP}],
                     'terminationGracePeriodSeconds': 0}}


def measure(code_dir, capsules, interval, window):
    """{figure: value} for one engine running `code_dir`'s code."""
    state = tempfile.mkdtemp(prefix='hc-resync-cost-')
    path = os.path.join(state, 'docker.sock')
    with create_trace.running_code(code_dir), \
            engine_support.behind_proxy(
                path, interval, engine_support.NO_QUOTA_CONF) as (proxy,
                                                                  engine):
        client = capsule_latency.EngineClient(engine.url, 0.2)
        uuids = []
        try:
            with concurrent.futures.ThreadPoolExecutor(5) as pool:
                for capsule_uuid in pool.map(
                        lambda _: client.create(quiet_capsule()),
                        range(capsules)):
                    uuids.append(capsule_uuid)
            capsule_latency.wait_all(client, uuids, 'Running')
            # Two resyncs first: each capsule's containers get inspected
            # once.
            time.sleep(2 * interval + 1)
            return _window(engine, proxy, interval, window)
        finally:
            with concurrent.futures.ThreadPoolExecutor(5) as pool:
                list(pool.map(client.delete, uuids))
            capsule_latency.wait_all(client, uuids, None)


def _window(engine, proxy, interval, window):
    cpu = create_speed.cpu_seconds
    docker = create_speed.docker_processes()
    own = psutil.Process(engine.proc.pid)
    first = len(proxy.paths)
    engine_cpu, docker_cpu = cpu([own]), cpu(docker)
    time.sleep(window)
    engine_cpu, docker_cpu = (cpu([own]) - engine_cpu,
                              cpu(docker) - docker_cpu)
    calls = proxy.paths[first:]
    resyncs = window / interval
    return {
        'engine CPU per resync (ms)': 1000 * engine_cpu / resyncs,
        'dockerd + containerd CPU per resync (ms)':
            1000 * docker_cpu / resyncs,
        'Docker calls per resync': len(calls) / resyncs,
        'container lists per resync': sum(
            1 for method, path in calls
            if '/containers/json' in path) / resyncs,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--capsules', type=int, default=100)
    parser.add_argument('--interval', type=int, default=5)
    parser.add_argument('--window', type=int, default=30)
    parser.add_argument('--baseline', default=None,
                        help='a checkout whose engine is measured too')
    args = parser.parse_args(argv)
    engine_support.ensure_test_images()
    cases = [('this checkout', None)]
    if args.baseline:
        cases.append(('baseline (%s)' % args.baseline, args.baseline))
    results = {name: measure(code, args.capsules, args.interval,
                             args.window)
               for name, code in cases}
    names = list(results)
    print('%d quiet capsules, a resync every %d s, %d s measured; load '
          'average (1 min) %.2f' % (args.capsules, args.interval,
                                    args.window, os.getloadavg()[0]))
    print('| per resync | %s |' % ' | '.join(names))
    print('|---|%s' % ('---|' * len(names)))
    for figure in results[names[0]]:
        print('| %s | %s |' % (figure, ' | '.join(
            '%.1f' % results[name][figure] for name in names)))


if __name__ == '__main__':
    main()

"""Issue 25's create targets: the engine against raw Docker, like for like.

    python -m bench.create_speed [--runs N] [--rounds N] [--count N]

1. create-to-Running of a 1-container capsule, one at a time: the engine
   (POST, then GET every 20 ms until Running) against the docker SDK
   doing the same calls serially (bench.raw_docker: create sandbox, start
   it, create the app container joined to it, start it; no inspects): on
   the engine's own project network, the same with the options the engine
   also passes (``raw_docker.HARDENED``), and on Docker's default bridge
   (a user's plain ``docker run``).  The four are interleaved run by run,
   so they see the same load.
2. `count` capsules created at once, until all Running (the engine, the
   client watching the list every 100 ms) against a pool of `count`
   threads doing the raw calls on the engine's network.

The engine keeps one resident capsule in the project for the whole run:
its project network exists, as the raw path's does (the engine removes a
project's network with its last capsule, and a project's first capsule
also waits for the network to be made: that case is measured separately,
"first capsule of a project", against raw calls that make a network too).
"""

import argparse
import concurrent.futures
import os
import sys
import time

import docker
import psutil

from bench import capsule_latency
from bench import create_trace
from bench import raw_docker
from bench import stats
from tests.support import engine as engine_support

SANDBOX_IMAGE = 'heat-capsule/sandbox:1'


def engine_network(client, engine_client, capsule_uuid):
    """The name of the Docker network a capsule's sandbox is on."""
    sandbox = client.api.inspect_container('hc-%s' % capsule_uuid)
    return next(iter(sandbox['NetworkSettings']['Networks']))


def like_for_like(engine_client, raws, runs):
    """Interleaved runs: {'engine': [s], raw name: [s]}."""
    times = {'engine': []}
    times.update((name, []) for name in raws)
    for _ in range(runs):
        seconds, capsule_uuid = capsule_latency.timed(
            engine_client.run, capsule_latency.quick_delete())
        times['engine'].append(seconds)
        engine_client.delete_and_wait(capsule_uuid)
        for name, raw in raws.items():
            seconds, tag = capsule_latency.timed(
                raw.create, capsule_latency.quick_delete())
            times[name].append(seconds)
            raw.delete(tag)
    return times


def first_of_project(engine_client, client, runs):
    """A project's first capsule (the engine makes the network) against
    raw calls that make a bridge network, then the capsule."""
    engine_times, raw_times = [], []
    for index in range(runs):
        seconds, capsule_uuid = capsule_latency.timed(
            engine_client.run, capsule_latency.quick_delete())
        engine_times.append(seconds)
        engine_client.delete_and_wait(capsule_uuid)
        # The engine removes the project's network after its last capsule:
        # wait for that, so the next run makes it again.
        time.sleep(0.5)
        name = 'hc-bench-first-%d-%d' % (os.getpid(), index)
        start = time.perf_counter()
        network = client.networks.create(name, driver='bridge')
        raw = raw_docker.RawCapsules(client, name, SANDBOX_IMAGE)
        tag = raw.create(capsule_latency.quick_delete())
        raw_times.append(time.perf_counter() - start)
        raw.delete(tag)
        network.remove()
    return engine_times, raw_times


def cpu_seconds(processes):
    """User + system CPU seconds used so far by `processes` (psutil)."""
    return sum(sum(p.cpu_times()[:2]) for p in processes)


def docker_processes():
    """psutil.Process of dockerd and containerd."""
    return [p for p in psutil.process_iter(['name'])
            if p.info['name'] in ('dockerd', 'containerd')]


def concurrent_up(engine, raw, count, cpu=None):
    """Seconds until `count` capsules all run: (engine, raw).

    `cpu`, a dict, gets the CPU seconds used while the engine's capsules
    came up: 'engine' (its process) and 'docker' (dockerd + containerd),
    and 'docker, raw' while the raw ones did.
    """
    engine_client = capsule_latency.EngineClient(engine.url, 0.1)
    own, docker_side = psutil.Process(engine.proc.pid), docker_processes()
    cpu = {} if cpu is None else cpu
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        before = cpu_seconds([own]), cpu_seconds(docker_side)
        start = time.perf_counter()
        uuids = list(pool.map(lambda _: engine_client.create(
            capsule_latency.quick_delete()), range(count)))
        capsule_latency.wait_all(engine_client, uuids, 'Running')
        engine_up = time.perf_counter() - start
        cpu['engine'] = cpu_seconds([own]) - before[0]
        cpu['docker'] = cpu_seconds(docker_side) - before[1]
        list(pool.map(engine_client.delete, uuids))
        capsule_latency.wait_all(engine_client, uuids, None)

        before = cpu_seconds(docker_side)
        start = time.perf_counter()
        tags = list(pool.map(lambda _: raw.create(
            capsule_latency.quick_delete()), range(count)))
        raw_up = time.perf_counter() - start
        cpu['docker, raw'] = cpu_seconds(docker_side) - before
        list(pool.map(raw.delete, tags))
    return engine_up, raw_up


def load():
    return '%.2f' % os.getloadavg()[0]


def main(engine, runs=20, rounds=3, count=50, first_runs=5, poll=0.02):
    client = docker.from_env()
    engine_client = capsule_latency.EngineClient(engine.url, poll)
    resident = engine_client.run(capsule_latency.one_container(grace=0))
    loads = [load()]
    rows = []
    raws = {}
    try:
        network = engine_network(client, engine_client, resident)
        raws = {'raw, engine network': raw_docker.RawCapsules(
                    client, network, SANDBOX_IMAGE),
                "raw with the engine's options, engine network":
                    raw_docker.RawCapsules(client, network, SANDBOX_IMAGE,
                                           hardened=True),
                'raw, default bridge': raw_docker.RawCapsules(
                    client, 'bridge', SANDBOX_IMAGE)}
        like_for_like(engine_client, raws, 2)         # warm-up
        times = like_for_like(engine_client, raws, runs)
        loads.append(load())
        for name in raws:
            rows.append(stats.row(
                'create-to-Running, 1 container, vs %s (poll %d ms)'
                % (name, poll * 1000), times['engine'], times[name]))
        ups, raw_ups = [], []
        for _ in range(rounds):
            cpu = {}
            engine_up, raw_up = concurrent_up(
                engine, raws['raw, engine network'], count, cpu)
            ups.append(engine_up)
            raw_ups.append(raw_up)
            print('%d at once: engine %.2f s (CPU: engine %.2f s, dockerd '
                  '+ containerd %.2f s); raw %.2f s (dockerd + containerd '
                  '%.2f s)' % (count, engine_up, cpu['engine'],
                               cpu['docker'], raw_up, cpu['docker, raw']),
                  flush=True)
        if rounds:
            loads.append(load())
            rows.append(stats.row('%d concurrent creates, all Running, vs '
                                  'raw thread pool on the engine network'
                                  % count, ups, raw_ups))
    finally:
        for raw in raws.values():
            raw.delete_all()
        engine_client.delete_and_wait(resident)
    if first_runs:
        engine_times, raw_times = first_of_project(engine_client, client,
                                                   first_runs)
        loads.append(load())
        rows.append(stats.row('first capsule of a project (network made), '
                              'vs raw making a network too', engine_times,
                              raw_times))
    return rows, loads


def cli(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--count', type=int, default=50)
    parser.add_argument('--first-runs', type=int, default=5)
    parser.add_argument('--engine-code', default=None,
                        help="run the engine on another checkout's code")
    args = parser.parse_args(argv)
    engine_support.ensure_test_images()
    engine = create_trace.start_engine(args.engine_code)
    try:
        rows, loads = main(engine, args.runs, args.rounds, args.count,
                           args.first_runs)
    finally:
        engine.stop()
        engine_support.remove_everything(engine.driver())
    print(stats.format_rows(rows))
    print('\nLoad average (1 min) at start and after each part: %s'
          % ', '.join(loads))
    return 0


if __name__ == '__main__':
    sys.exit(cli())

"""GET show and GET list of 1,000 capsules: this checkout against another.

    python -m bench.api_ab [--records N] [--shows N] [--lists N]
                           [--baseline DIR]

Two engine processes (runtime disabled), each seeded with the same number
of records as bench/api_latency.py seeds them; with ``--baseline`` the
second runs the code of DIR (an earlier checkout).  Requests alternate
between the engines one by one, so both see the same machine load; the
load average is printed with the figures.
"""

import argparse
import os
import sys
import time

import requests

from bench import api_latency
from bench import create_trace
from bench import stats
from tests.support import engine as engine_support


def seeded_engine(count, code_dir=None):
    engine = engine_support.EngineProcess(extra_conf='enabled = false\n')
    uuids = api_latency.seed('sqlite:///%s/engine.sqlite' % engine.state_dir,
                             count)
    with create_trace.running_code(code_dir):
        engine.start()
    return engine, uuids


def timed_get(session, url):
    start = time.perf_counter()
    resp = session.get(url, headers=api_latency.HEADERS, timeout=60)
    seconds = time.perf_counter() - start
    resp.raise_for_status()
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--records', type=int, default=1000)
    parser.add_argument('--shows', type=int, default=300)
    parser.add_argument('--lists', type=int, default=50)
    parser.add_argument('--baseline', default=None)
    args = parser.parse_args(argv)
    engines = {'this checkout': seeded_engine(args.records)}
    if args.baseline:
        engines['baseline'] = seeded_engine(args.records, args.baseline)
    loads = ['%.2f' % os.getloadavg()[0]]
    try:
        sessions = {name: requests.Session() for name in engines}
        shows = {name: [] for name in engines}
        lists = {name: [] for name in engines}
        for name, (engine, uuids) in engines.items():     # warm-up
            for _ in range(5):
                timed_get(sessions[name], engine.url + '/v1/capsules')
        for index in range(max(args.shows, args.lists)):
            for name, (engine, uuids) in engines.items():
                if index < args.shows:
                    shows[name].append(timed_get(
                        sessions[name], engine.url + '/v1/capsules/' +
                        uuids[len(uuids) // 2]))
                if index < args.lists:
                    lists[name].append(timed_get(
                        sessions[name], engine.url + '/v1/capsules'))
        loads.append('%.2f' % os.getloadavg()[0])
    finally:
        for engine, _ in engines.values():
            engine.stop()
    lines = ['| engine | GET show median | GET show p99 | GET list median '
             '| GET list p99 |', '|---|---|---|---|---|']
    for name in engines:
        show, listed = stats.summary(shows[name]), stats.summary(lists[name])
        lines.append('| %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms |' % (
            name, show['median'] * 1000, show['p99'] * 1000,
            listed['median'] * 1000, listed['p99'] * 1000))
    print('%d records; load average (1 min) before/after: %s\n'
          % (args.records, ', '.join(loads)))
    print('\n'.join(lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())

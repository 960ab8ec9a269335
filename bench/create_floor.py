"""What a create through the engine cannot avoid: a step-by-step trace of
the engine beside the docker SDK, with the client's polling as a variable.

    python -m bench.create_floor [--runs N] [--poll S] [--slow-poll S]
                                 [--baseline DIR]

Issue 25 target 1 compares the engine (POST, then GET every `poll` seconds
until Running) with the docker SDK's four calls on the engine's network
(bench/raw_docker.py).  The two differ in more than the engine's own work:
the client polls the engine, and every GET costs the engine CPU that
Docker's own start also needs on a small machine.  Four cases run
interleaved, run by run, so they see the same load:

* ``engine``: the benchmark's own client (polling every `poll` s);
* ``engine, slow poll``: the same engine polled every `slow_poll` s (the
  cost of polling on Docker's side, minus a longer wait for the answer);
* ``raw``: the docker SDK alone;
* ``raw, engine's options``: the same calls with what the engine also asks
  Docker for (``raw_docker.HARDENED``: hostname and DNS alias, dropped
  capabilities, PID limit, rotated logs);
* ``raw, engine polled``: the docker SDK while another thread polls the
  engine's GET of a resident capsule every `poll` s, the load the
  engine's own client puts on the machine.

With ``--baseline DIR`` a second engine running the code found in DIR (an
earlier checkout) is traced too, polled as ``engine`` is.

Each case gives, in ms after its start, Docker's own event times
(``timeNano``) for the sandbox's and the app container's create and start,
and the moment Running was seen (engine) or the last call returned (raw);
then the durations between them.  Docker stamps its events with the host's
clock, which client and daemon share.
"""

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time

from bench import capsule_latency
from bench import create_speed
from bench import create_trace
from bench import raw_docker
from tests.support import engine as engine_support

# (label, first mark, last mark) of the durations reported per case.
SPANS = (('POST to the sandbox create event', 0, 1),
         ("sandbox create to start events (Docker's start)", 1, 2),
         ("sandbox start to app start events", 2, 4),
         ('app start event to Running seen / call returned', 4, 5),
         ('total', 0, 5))


def raw_events(client, raw):
    """An EventLog of raw_docker's containers, by the tag of each run (the
    sandbox is the one named raw-<tag>)."""
    def key(labels):
        return labels.get(raw.label), (
            'sandbox' if labels.get('name', '').startswith('raw-') else 'app')
    return create_trace.EventLog(client, label=raw.label, key=key)


def raw_run(raw, events):
    """Marks (ms after the first call) of one raw create, in STEPS order
    (bench.create_trace): 0, sandbox create, sandbox start, app create,
    app start, last call returned."""
    start = time.time()
    tag = raw.create(capsule_latency.quick_delete())
    returned = time.time()
    marks = create_trace.offsets(events, tag, start, start, returned)
    raw.delete(tag)
    return marks


@contextlib.contextmanager
def polling(engine_client, capsule_uuid, interval):
    """Another thread GETs `capsule_uuid` every `interval` s meanwhile."""
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            engine_client.status(capsule_uuid)
            stop.wait(interval)
    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def engine_marks(trace):
    """create_trace.one's offsets with the POST's start as mark 0."""
    return [0.0] + [trace[1], trace[2], trace[3], trace[4], trace[5]]


def spans(marks_list):
    """{span label: median ms} over runs (runs missing a mark skipped)."""
    result = {}
    for label, first, last in SPANS:
        values = [m[last] - m[first] for m in marks_list
                  if m[first] is not None and m[last] is not None]
        result[label] = statistics.median(values) if values else None
    return result


def table(cases):
    names = list(cases)
    lines = ['| ms (median) | %s |' % ' | '.join(names),
             '|---|%s' % ('---|' * len(names))]
    medians = {name: spans(cases[name]) for name in names}
    for label, _, _ in SPANS:
        lines.append('| %s | %s |' % (label, ' | '.join(
            '-' if medians[name][label] is None
            else '%.0f' % medians[name][label] for name in names)))
    lines.append('| runs | %s |' % ' | '.join(
        str(len(cases[name])) for name in names))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--poll', type=float, default=0.02)
    parser.add_argument('--slow-poll', type=float, default=0.2)
    parser.add_argument('--baseline', default=None,
                        help='a checkout whose engine is traced as well')
    args = parser.parse_args(argv)
    docker_client = engine_support.ensure_test_images()
    engine = create_trace.start_engine()
    events = create_trace.EventLog(docker_client, engine.instance)
    fast = capsule_latency.EngineClient(engine.url, args.poll)
    slow = capsule_latency.EngineClient(engine.url, args.slow_poll)
    cases = {'engine': [], 'engine, slow poll': [], 'raw': [],
             "raw, engine's options": [], 'raw, engine polled': []}
    baseline = None
    if args.baseline:
        baseline = create_trace.start_engine(args.baseline)
        baseline_events = create_trace.EventLog(docker_client,
                                                baseline.instance)
        baseline_client = capsule_latency.EngineClient(baseline.url,
                                                       args.poll)
        baseline_resident = baseline_client.run(
            capsule_latency.quick_delete())
        cases['baseline engine'] = []
    resident = fast.run(capsule_latency.quick_delete())
    raw = raw_docker.RawCapsules(
        docker_client, create_speed.engine_network(docker_client, fast,
                                                   resident),
        create_speed.SANDBOX_IMAGE)
    events_of_raw = raw_events(docker_client, raw)
    hardened = raw_docker.RawCapsules(
        docker_client, raw.network, create_speed.SANDBOX_IMAGE,
        hardened=True)
    hardened_events = raw_events(docker_client, hardened)
    loads = [os.getloadavg()[0]]
    try:
        for index in range(args.runs + 2):      # two warm-up rounds
            got = {
                'engine': engine_marks(
                    create_trace.one(fast, events, args.poll)),
                'engine, slow poll': engine_marks(
                    create_trace.one(slow, events, args.slow_poll)),
                'raw': raw_run(raw, events_of_raw),
                "raw, engine's options": raw_run(hardened, hardened_events)}
            with polling(fast, resident, args.poll):
                got['raw, engine polled'] = raw_run(raw, events_of_raw)
            if baseline:
                got['baseline engine'] = engine_marks(create_trace.one(
                    baseline_client, baseline_events, args.poll))
            if index >= 2:
                for name, marks in got.items():
                    cases[name].append(marks)
    finally:
        raw.delete_all()
        events_of_raw.close()
        hardened.delete_all()
        hardened_events.close()
        fast.delete_and_wait(resident)
        events.close()
        engine.stop()
        engine_support.remove_everything(engine.driver())
        if baseline:
            baseline_client.delete_and_wait(baseline_resident)
            baseline_events.close()
            baseline.stop()
            engine_support.remove_everything(baseline.driver())
    loads.append(os.getloadavg()[0])
    print('Polling every %g s (slow: %g s); load average (1 min) %.2f -> '
          '%.2f\n' % (args.poll, args.slow_poll, loads[0], loads[1]))
    print(table(cases))
    totals = {name: statistics.median(m[5] for m in runs)
              for name, runs in cases.items()}
    print("\nRatios of total medians: engine / raw %.2f; engine / raw with "
          "the engine's options %.2f; engine / raw while the engine is "
          "polled %.2f; engine slow poll / raw %.2f" % (
              totals['engine'] / totals['raw'],
              totals['engine'] / totals["raw, engine's options"],
              totals['engine'] / totals['raw, engine polled'],
              totals['engine, slow poll'] / totals['raw']))
    if baseline:
        print('Baseline engine / raw %.2f' % (
            totals['baseline engine'] / totals['raw']))
    return 0


if __name__ == '__main__':
    sys.exit(main())

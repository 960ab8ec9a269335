"""Where a capsule create's time goes: a Docker event trace.

    python -m bench.create_trace [--runs N] [--poll S] [--baseline DIR]

Creates 1-container capsules one at a time through an engine process and
follows Docker's event stream meanwhile (the engine's own containers, by
its instance label).  For each create it records, in milliseconds after the
client sent the POST: the POST answered, the sandbox's create and start
events, the app container's create and start events, and the first GET
that found the capsule Running (the client polls every `poll` seconds, as
the latency benchmark does).  Docker stamps its events with its own clock
(``timeNano``); client and daemon share the host's clock.

With ``--baseline DIR`` a second engine runs the code found in DIR (a
checkout of an earlier version: its ``PYTHONPATH``), and the two engines'
creates are interleaved, so both see the same machine load.

Each engine keeps one resident capsule in the project for the whole run,
so the project's network exists, as it does for the docker SDK reference
(the engine removes a project's network with its last capsule; without a
resident one every create would make the network again, ~250 ms).
"""

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time


from bench import capsule_latency
from heat_capsule.engine import conf as engine_conf
from heat_capsule.engine.runtime import spec as rspec
from tests.support import engine as engine_support

STEPS = ('POST answered', 'sandbox create', 'sandbox start', 'app create',
         'app start', 'Running seen')


def engine_key(labels):
    """(capsule uuid, 'sandbox' | 'app') of an engine container's labels;
    None for a container of no capsule."""
    capsule = labels.get(rspec.LABEL_CAPSULE)
    if not capsule:
        return None
    return capsule, ('sandbox' if labels.get(rspec.LABEL_ROLE) ==
                     rspec.ROLE_SANDBOX else 'app')


class EventLog:
    """Docker's create/start events of the containers labelled `label`
    (``key=value``), by the run each belongs to: `key` maps a container's
    labels to (run id, 'sandbox' | 'app'), or None to skip it.  By
    default (`instance` given) the containers of one engine instance, by
    capsule."""

    def __init__(self, client, instance=None, label=None, key=engine_key):
        if label is None:
            label = '%s=%s' % (rspec.LABEL_ENGINE, instance)
        self._key = key
        self._stream = client.api.events(decode=True, filters={
            'type': 'container', 'event': ['create', 'start'],
            'label': label})
        self.events = {}        # run id -> {(role, action): seconds}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self):
        try:
            for event in self._stream:
                labels = (event.get('Actor') or {}).get('Attributes') or {}
                found = self._key(labels)
                if found is None:
                    continue
                run, role = found
                with self._lock:
                    self.events.setdefault(run, {}).setdefault(
                        (role, event.get('Action')),
                        event['timeNano'] / 1e9)
        except Exception:   # noqa: closed at the end
            return

    def of(self, capsule_uuid):
        with self._lock:
            return dict(self.events.get(capsule_uuid, {}))

    def close(self):
        self._stream.close()


def one(client, events, poll):
    """Offsets (ms) of one create's steps, in STEPS order."""
    start = time.time()
    capsule_uuid = client.create(capsule_latency.quick_delete())
    answered = time.time()
    while client.status(capsule_uuid) != 'Running':
        time.sleep(poll)
    seen = time.time()
    marks = offsets(events, capsule_uuid, start, answered, seen)
    client.delete_and_wait(capsule_uuid)
    return marks


def offsets(events, run, start, first, last):
    """[first, sandbox create, sandbox start, app create, app start, last]
    in ms after `start` (None: an event not seen), once the events of `run`
    reached the stream."""
    time.sleep(0.2)         # the events reach the stream
    got = events.of(run)
    marks = (first, got.get(('sandbox', 'create')),
             got.get(('sandbox', 'start')), got.get(('app', 'create')),
             got.get(('app', 'start')), last)
    return [None if mark is None else (mark - start) * 1000
            for mark in marks]


def table(traces):
    """Markdown: per engine, the median of each step's offset."""
    names = list(traces)
    lines = ['| step (ms after the POST was sent, median) | %s |'
             % ' | '.join(names), '|---|%s' % ('---|' * len(names))]
    for index, step in enumerate(STEPS):
        cells = []
        for name in names:
            values = [t[index] for t in traces[name] if t[index] is not None]
            cells.append('%.0f' % statistics.median(values) if values
                         else '-')
        lines.append('| %s | %s |' % (step, ' | '.join(cells)))
    lines.append('| runs | %s |' % ' | '.join(
        str(len(traces[name])) for name in names))
    return '\n'.join(lines)


@contextlib.contextmanager
def running_code(code_dir):
    """Engine processes started inside run the code of `code_dir` (its
    PYTHONPATH); None: this checkout's."""
    saved = os.environ.get('PYTHONPATH')
    if code_dir:
        os.environ['PYTHONPATH'] = os.path.abspath(code_dir)
    try:
        yield
    finally:
        if code_dir:
            if saved is None:
                os.environ.pop('PYTHONPATH', None)
            else:
                os.environ['PYTHONPATH'] = saved


def product_default(group, name):
    """The default of the engine option ``[group] name``, as shipped."""
    opts = getattr(engine_conf, '%s_opts' % group)
    return next(opt.default for opt in opts if opt.name == name)


def start_engine(code_dir=None):
    """An engine process (no quota), running the code of `code_dir` (None:
    this checkout), with the product's periodic resync (the test engines'
    5 s one would add work the product does not do)."""
    with running_code(code_dir):
        return engine_support.EngineProcess(
            extra_conf=engine_support.NO_QUOTA_CONF,
            resync_interval=product_default('runtime', 'resync_interval'),
            grace_period=None).start()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--runs', type=int, default=10)
    parser.add_argument('--poll', type=float, default=0.02)
    parser.add_argument('--baseline', default=None,
                        help='a checkout whose engine runs interleaved')
    args = parser.parse_args(argv)
    docker_client = engine_support.ensure_test_images()
    engines = {'this checkout': start_engine()}
    if args.baseline:
        engines['baseline (%s)' % args.baseline] = start_engine(
            args.baseline)
    logs = {name: EventLog(docker_client, engine.instance)
            for name, engine in engines.items()}
    clients = {name: capsule_latency.EngineClient(engine.url, args.poll)
               for name, engine in engines.items()}
    traces = {name: [] for name in engines}
    resident = {}
    try:
        for name in engines:
            resident[name] = clients[name].run(
                capsule_latency.quick_delete())
        for name in engines:       # warm-up: network, images, caches
            one(clients[name], logs[name], args.poll)
        for _ in range(args.runs):
            for name in engines:
                traces[name].append(one(clients[name], logs[name],
                                        args.poll))
    finally:
        for name, engine in engines.items():
            if name in resident:
                clients[name].delete_and_wait(resident[name])
            logs[name].close()
            engine.stop()
            engine_support.remove_everything(engine.driver())
    print('Load average before/after: %s\n' % ' '.join(
        '%.2f' % x for x in os.getloadavg()))
    print(table(traces))
    return 0


if __name__ == '__main__':
    sys.exit(main())

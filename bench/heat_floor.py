"""Issue 25 target 5: Heat's own floor, side by side with OS::Zun::Capsule.

    python -m bench.heat_floor [--runs N] [--counts 3 5] [--wait SECONDS]
                                [--no-before] [--init SECONDS] [--json FILE]

Heat 27's real engine in this process (tests/support/heat_rig.py, Heat's
own 1 s steps, its database on PostgreSQL) and a heat-capsule-engine
process on real Docker. Every round creates, interleaved, stacks of:

* ``OS::Zun::Capsule`` (one busybox container), with ``stable_seconds``
  0 and at its default (1 s), each as shipped (the first check reads a
  capsule in progress again for up to ``FIRST_CHECK_WAIT``) and as before
  (``FIRST_CHECK_WAIT`` 0: one reading per check; ``--no-before`` leaves
  these out);
* ``OS::Heat::TestResource`` with ``action_wait_secs: {create: T}``, T
  the engine's median create-to-Running time (measured first): Heat's own
  resource doing the same wait with a check step. Its
  ``client_name``/``entity_name`` make each unfinished check one GET of
  the engine (``zun_capsule`` client, ``capsules.get``, a 404), as the
  capsule's check is, instead of TestResource's own ``time.sleep(1)``;
* the same with T = 0 (complete at the first check), and ``OS::Heat::None``
  (handle_create, no check step): Heat's own bookkeeping;
* the engine alone (POST, GET every 20 ms until Running).

N-resource stacks (``--counts``): N independent capsules (default
``stable_seconds``) and N independent TestResources waiting T.

A stack is timed from the create call to the moment Heat stores its
CREATE_COMPLETE (``Stack.state_set`` is wrapped to note the time: no
polling delay). The same wrappers note, per stack, when the converge
thread triggered each leaf (``WorkerClient.check_resource``), and when
each ``handle_create`` and ``check_create_complete`` ran: the timeline
that shows where Heat's steps fall. The wrappers only note times: Heat and
the plugin behave as they do without them.
"""

import argparse
import collections
import json
import os
import statistics
import sys
import threading
import time
import uuid

from oslo_config import cfg

from bench import capsule_latency
from bench import heat_one_capsule
from bench import heat_overhead
from bench import stats
from tests.support import engine as engine_support
from tests.support import heat_rig
from tests.support import postgres

from heat.engine import stack as heat_stack  # noqa: E402 (after heat_rig)
from heat.engine.resources.openstack.heat import test_resource
from heat.rpc import worker_client

from heat_capsule.heat import capsule as capsule_mod
from heat_capsule.heat import client as capsule_client

TEMPLATE_VERSION = '2021-04-16'


def test_resources(count, wait):
    """N independent OS::Heat::TestResource that wait `wait` s to create,
    each unfinished check one GET of the container service."""
    props = {'action_wait_secs': {'create': wait},
             'client_name': capsule_client.CLIENT_NAME,
             'entity_name': 'capsules'}
    return {'heat_template_version': TEMPLATE_VERSION, 'resources': {
        'test%d' % i: {'type': 'OS::Heat::TestResource',
                       'properties': dict(props)} for i in range(count)}}


def none_resources(count):
    return {'heat_template_version': TEMPLATE_VERSION, 'resources': {
        'none%d' % i: {'type': 'OS::Heat::None'} for i in range(count)}}


class Timeline:
    """Times (time.monotonic) of Heat's steps, per stack id.

    ``events[stack_id]``: (what, resource name, start, end) tuples, ``what``
    in handle_create, check (end: the check's answer is in ``done``),
    trigger; ``finished[stack_id]``: (time, status) of the stack's
    CREATE_COMPLETE or CREATE_FAILED.
    """

    WRAPPED = ((capsule_mod.Capsule, 'handle_create'),
               (capsule_mod.Capsule, 'check_create_complete'),
               (test_resource.TestResource, 'handle_create'),
               (test_resource.TestResource, 'check_create_complete'))

    def __init__(self):
        self.events = collections.defaultdict(list)
        self.finished = {}
        self.traversals = {}
        self._cond = threading.Condition()
        self._undo = []

    def _note(self, stack_id, event):
        with self._cond:
            self.events[stack_id].append(event)

    def install(self):
        for cls, name in self.WRAPPED:
            self._wrap_resource(cls, name)
        self._wrap(heat_stack.Stack, 'state_set', self._state_set)
        self._wrap(heat_stack.Stack, '_converge_create_or_update',
                   self._converge)
        self._wrap(worker_client.WorkerClient, 'check_resource',
                   self._trigger)
        return self

    def uninstall(self):
        while self._undo:
            cls, name, original = self._undo.pop()
            setattr(cls, name, original)

    def _wrap(self, cls, name, make):
        original = cls.__dict__[name]
        self._undo.append((cls, name, original))
        setattr(cls, name, make(original))

    def _wrap_resource(self, cls, name):
        timeline = self

        def make(original):
            def timed(resource, *args, **kwargs):
                start = time.monotonic()
                result = original(resource, *args, **kwargs)
                what = 'check' if name.startswith('check') else name
                timeline._note(resource.stack.id, (
                    what, resource.name, start, time.monotonic(),
                    bool(result) if what == 'check' else None))
                return result
            return timed
        self._wrap(cls, name, make)

    def _state_set(self, original):
        timeline = self

        def state_set(stack, action, status, reason):
            result = original(stack, action, status, reason)
            if action == stack.CREATE and status in heat_rig.FINAL_STATES:
                with timeline._cond:
                    timeline.finished[stack.id] = (time.monotonic(), status,
                                                   reason)
                    timeline._cond.notify_all()
            return result
        return state_set

    def _converge(self, original):
        timeline = self

        def converge(stack, *args, **kwargs):
            with timeline._cond:
                timeline.traversals[stack.current_traversal] = stack.id
            return original(stack, *args, **kwargs)
        return converge

    def _trigger(self, original):
        timeline = self

        def check_resource(client, ctxt, resource_id, current_traversal,
                           *args, **kwargs):
            now = time.monotonic()
            with timeline._cond:
                stack_id = timeline.traversals.get(current_traversal)
            if stack_id is not None:
                timeline._note(stack_id, ('trigger', resource_id, now, now,
                                          None))
            return original(client, ctxt, resource_id, current_traversal,
                            *args, **kwargs)
        return check_resource

    def wait(self, stack_id, timeout=600):
        with self._cond:
            if not self._cond.wait_for(lambda: stack_id in self.finished,
                                       timeout):
                raise heat_rig.StackTimeout('stack %s unfinished' % stack_id)
            return self.finished[stack_id]


def timed_stack(rig, timeline, template):
    """Create `template`, wait for Heat's CREATE_COMPLETE, delete it.

    :returns: {'total': s from the create call, 'events': the timeline's
        events with times relative to the create call}.
    """
    start = time.monotonic()
    identity = rig.create_stack('floor-%s' % uuid.uuid4().hex[:8], template,
                                timeout_mins=10)
    stack_id = identity['stack_id']
    done, status, reason = timeline.wait(stack_id)
    rig.delete_stack(identity)
    rig.wait_deleted(identity, timeout=300)
    if status != 'COMPLETE':
        raise RuntimeError('stack failed: %s' % reason)
    events = [(what, name, s - start, e - start, answer)
              for what, name, s, e, answer in timeline.events[stack_id]]
    return {'total': done - start, 'events': events}


def steps(runs):
    """Medians over runs of one 1-resource case: when Heat called it."""
    out = collections.defaultdict(list)
    for run in runs:
        handles = [e for e in run['events'] if e[0] == 'handle_create']
        checks = [e for e in run['events'] if e[0] == 'check']
        if not handles:
            continue
        handle = handles[0]
        out['handle_create starts'].append(handle[2])
        out['handle_create takes'].append(handle[3] - handle[2])
        if checks:
            out['1st check after handle_create'].append(
                checks[0][2] - handle[3])
            out['checks'].append(len(checks))
            out['check takes'].append(statistics.median(
                c[3] - c[2] for c in checks))
            out['COMPLETE after last check'].append(
                run['total'] - checks[-1][3])
        for first, second in zip(checks, checks[1:]):
            out['gap between checks'].append(second[2] - first[3])
    return {key: statistics.median(values) for key, values in out.items()}


def spacing(runs):
    """Median gap between two leaf triggers, and between two
    handle_create starts, over every run of an N-resource case."""
    gaps = {'trigger': [], 'handle_create': []}
    for run in runs:
        for what in gaps:
            times = sorted(e[2] for e in run['events'] if e[0] == what)
            gaps[what].extend(b - a for a, b in zip(times, times[1:]))
    return {what: statistics.median(v) if v else float('nan')
            for what, v in gaps.items()}


FULLRUN = '/work/wt/suitetime2.FULLRUN'


class Conditions:
    """Load average (1 min) and whether a full test run was going on,
    noted at each round."""

    def __init__(self):
        self.loads = []
        self.busy_rounds = 0

    def note(self):
        self.loads.append(os.getloadavg()[0])
        self.busy_rounds += os.path.exists(FULLRUN)

    def __str__(self):
        return ('load average (1 min) %.2f-%.2f, median %.2f; a full test '
                'run going on in %d of %d rounds' % (
                    min(self.loads), max(self.loads),
                    statistics.median(self.loads), self.busy_rounds,
                    len(self.loads)))


# The first create check's wait for a capsule in progress, as shipped.
FIRST_CHECK_WAIT = capsule_mod.Capsule.FIRST_CHECK_WAIT
# Case settings: stable_seconds (None: the default) and the first check's
# wait (0: one reading per check, the behaviour before it).
SHIPPED = {'stable_seconds': None, 'first_check_wait': FIRST_CHECK_WAIT}


def one_resource_cases(wait, compare_first_check=True, capsule=None):
    """(name, template, settings) of the 1-resource stacks; ``capsule``:
    the capsule's stack template (bench 4's one busybox container)."""
    default = capsule_client.STABLE_SECONDS.default
    capsule = capsule or heat_overhead.stack_template(1)
    cases = []
    for stable in (0, None):
        label = ('OS::Zun::Capsule, stable_seconds %g%s'
                 % (default if stable is None else stable,
                    ' (default)' if stable is None else ''))
        cases.append((label, capsule, dict(SHIPPED, stable_seconds=stable)))
        if compare_first_check:
            cases.append((label + ', first check reads once (before)',
                          capsule, {'stable_seconds': stable,
                                    'first_check_wait': 0}))
    return cases + [
        ('TestResource, create wait %.2f s' % wait,
         test_resources(1, wait), SHIPPED),
        ('TestResource, create wait 0', test_resources(1, 0), SHIPPED),
        ('OS::Heat::None (no check step)', none_resources(1), SHIPPED),
    ]


def many_resource_cases(count, wait):
    return [
        ('%d x OS::Zun::Capsule' % count,
         heat_overhead.stack_template(count), SHIPPED),
        ('%d x TestResource, create wait %.2f s' % (count, wait),
         test_resources(count, wait), SHIPPED),
    ]


def single_of(name, wait):
    """The 1-resource case an N-resource case is compared with."""
    if 'Capsule' in name:
        return 'OS::Zun::Capsule, stable_seconds %g (default)' % (
            capsule_client.STABLE_SECONDS.default)
    return 'TestResource, create wait %.2f s' % wait


def apply(settings):
    stable = settings['stable_seconds']
    if stable is None:
        cfg.CONF.clear_override('stable_seconds', capsule_client.OPT_GROUP)
    else:
        cfg.CONF.set_override('stable_seconds', stable,
                              capsule_client.OPT_GROUP)
    capsule_mod.Capsule.FIRST_CHECK_WAIT = settings['first_check_wait']


def table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    lines.extend('| ' + ' | '.join(str(cell) for cell in row) + ' |'
                 for row in rows)
    return '\n'.join(lines)


def seconds(value):
    return '%.3f s' % value


def report(engine_times, results, counts, wait, conditions):
    """The three markdown tables and the derived figures."""
    engine = stats.summary(engine_times[1])
    out = ['Engine alone (1 capsule, POST + GET every 20 ms until '
           'Running): median %s, p99 %s, n %d; TestResource waits T = %.2f '
           's. %s.\n' % (seconds(engine['median']), seconds(engine['p99']),
                         engine['n'], wait, conditions)]
    rows = []
    for name, runs in results[1].items():
        s = stats.summary([r['total'] for r in runs])
        rows.append((name, s['n'], seconds(s['median']), seconds(s['p99']),
                     '%+.3f s' % (s['median'] - engine['median'])))
    out.append(table(('1-resource stack, create call to CREATE_COMPLETE',
                      'n', 'median', 'p99', 'minus engine alone'), rows))
    keys = ('handle_create starts', 'handle_create takes',
            '1st check after handle_create', 'gap between checks',
            'checks', 'check takes', 'COMPLETE after last check')
    rows = []
    for name, runs in results[1].items():
        found = steps(runs)
        rows.append([name] + [
            ('%.1f' % found[k] if k == 'checks' else seconds(found[k]))
            if k in found else '-' for k in keys])
    out.append('\nWhen Heat called the resource (medians; seconds after the '
               'create call, or durations):\n')
    out.append(table(['case'] + list(keys), rows))
    rows = []
    for count in counts[1:]:
        reference = engine_times[count]
        for name, runs in results[count].items():
            s = stats.summary([r['total'] for r in runs])
            gaps = spacing(runs)
            one = statistics.median(
                r['total'] for r in results[1][single_of(name, wait)])
            per_extra = (s['median'] - one) / (count - 1)
            rows.append((name, s['n'], seconds(s['median']),
                         seconds(s['p99']), seconds(one),
                         seconds(statistics.median(reference)),
                         seconds(gaps['trigger']),
                         seconds(gaps['handle_create']),
                         seconds(per_extra),
                         '%+.3f s' % (per_extra - 1.0)))
    if not rows:
        return '\n'.join(out) + '\n'
    out.append('\nN independent resources:\n')
    out.append(table(('stack', 'n', 'median', 'p99',
                      'T_1: its 1-resource stack (median)',
                      'engine alone, N at once (median)',
                      'leaf trigger spacing (median)',
                      'handle_create spacing (median)',
                      'per extra resource (T_N - T_1)/(N-1)',
                      'beyond 1 s'), rows))
    return '\n'.join(out) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--runs', type=int, default=8)
    parser.add_argument('--counts', type=int, nargs='*', default=[3, 5])
    parser.add_argument('--wait', type=float, default=None,
                        help='TestResource create wait (default: the '
                        "engine's measured median create time)")
    parser.add_argument('--no-before', action='store_true',
                        help='leave out the capsule cases whose first '
                        'check reads once (the behaviour before)')
    parser.add_argument('--init', type=float, default=None,
                        help='the 1-capsule stacks get an init container '
                        'that sleeps this long (a create longer than '
                        "Heat's 1 s step)")
    parser.add_argument('--json', default=None,
                        help='also write every run (totals and timelines) '
                        'to this file')
    args = parser.parse_args(argv)
    counts = [1] + [c for c in args.counts if c > 1]
    began = time.monotonic()
    server = postgres.PostgresServer().start()
    engine = engine_support.EngineProcess(
        extra_conf=engine_support.NO_QUOTA_CONF).start()
    rig = heat_rig.HeatRig(engine.url + '/v1', poll_interval=None,
                           database_url=server.create_database('heat'))
    timeline = Timeline().install()
    rig.start()
    client = capsule_latency.EngineClient(engine.url, 0.02)
    engine_times = {count: [] for count in counts}
    heat_template = engine_template = None
    if args.init is not None:
        heat_template, engine_template = heat_one_capsule.with_init(
            args.init)

    def engine_round(count):
        if count > 1 or engine_template is None:
            return heat_overhead.engine_round(client, count)
        start = time.perf_counter()
        capsule_uuid = client.run(engine_template)
        seconds = time.perf_counter() - start
        client.delete_and_wait(capsule_uuid)
        return seconds

    results = {count: collections.OrderedDict() for count in counts}
    conditions = Conditions()
    try:
        # Warm-up; the engine's median create time sets TestResource's wait.
        timed_stack(rig, timeline, heat_overhead.stack_template(1))
        warm = [engine_round(1) for _ in range(5)]
        wait = round(args.wait if args.wait is not None
                     else statistics.median(warm), 2)
        cases = {1: one_resource_cases(wait, not args.no_before,
                                       heat_template)}
        for count in counts[1:]:
            cases[count] = many_resource_cases(count, wait)
        for index in range(args.runs):
            conditions.note()
            for count in counts:
                engine_times[count].append(
                    engine_round(count))
                for name, template, settings in cases[count]:
                    apply(settings)
                    results[count].setdefault(name, []).append(
                        timed_stack(rig, timeline, template))
            print('round %d/%d done, %.0f s' % (
                index + 1, args.runs, time.monotonic() - began),
                file=sys.stderr)
        conditions.note()
    finally:
        apply(SHIPPED)
        rig.stop()
        timeline.uninstall()
        engine.stop()
        engine_support.remove_everything(engine.driver())
        server.stop()
    print(report(engine_times, results, counts, wait, conditions))
    if args.json:
        with open(args.json, 'w') as handle:
            json.dump({'engine': engine_times, 'wait': wait,
                       'loads': conditions.loads, 'stacks': results},
                      handle, indent=1)
    print('Benchmark took %.0f s.' % (time.monotonic() - began))
    return 0


if __name__ == '__main__':
    sys.exit(main())

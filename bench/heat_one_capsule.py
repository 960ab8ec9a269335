"""Issue 25 target 5: what Heat adds to a 1-capsule create.

    python -m bench.heat_one_capsule [--runs N] [--init SECONDS]

Heat 27's real engine (tests/support/heat_rig.py, sqlite, Heat's own 1 s
resource polling) and a heat-capsule-engine process on real Docker.  Runs
interleave, each timed from the create call to CREATE_COMPLETE (Heat) or
from the POST to the first GET that shows Running (the engine alone, the
client polling every 20 ms):

* the engine alone;
* Heat with ``stable_seconds`` 0 (complete on the first reading that
  shows Running) and at its default (1 s: an app container must have run
  that long, which a create therefore always adds).

Heat makes a create's first check right after handle_create and the next
one 1 s later (heat/engine/scheduler.py, TaskRunner.__call__; measured by
bench/heat_floor.py, which also measures Heat's own floor and N-capsule
stacks).

Heat's overhead is a Heat median minus the engine's median.

``--init SECONDS`` adds an init container that sleeps that long, for a
create that takes longer than Heat's first 1 s step.
"""

import argparse
import os
import sys
import time

from oslo_config import cfg

from bench import capsule_latency
from bench import heat_overhead
from bench import stats
from tests.support import engine as engine_support
from tests.support import heat_rig

OPT_GROUP = 'clients_zun_capsule'


def with_init(seconds):
    """(Heat template, engine template) of a capsule whose init container
    sleeps `seconds` before the app container starts."""
    init = {'name': 'init', 'image': 'busybox',
            'command': ['sleep', '%g' % seconds]}
    app = {'name': 'main', 'image': 'busybox', 'command': ['sleep', '3600']}
    heat = {'heat_template_version': '2021-04-16', 'resources': {
        'capsule0': {'type': 'OS::Zun::Capsule', 'properties': {
            'init_containers': [init], 'containers': [app]}}}}
    engine = {'kind': 'capsule', 'metadata': {},
              'spec': {'initContainers': [init], 'containers': [app]}}
    return heat, engine


def heat_create(rig, stable_seconds, template=None):
    cfg.CONF.set_override('stable_seconds', stable_seconds, OPT_GROUP)
    return heat_overhead.heat_round(rig, 1, template)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--runs', type=int, default=10)
    parser.add_argument('--init', type=float, default=None)
    args = parser.parse_args(argv)
    heat_template = engine_template = None
    if args.init is not None:
        heat_template, engine_template = with_init(args.init)
    engine = engine_support.EngineProcess().start()
    rig = heat_rig.HeatRig(engine.url + '/v1', poll_interval=None)
    rig.start()
    client = capsule_latency.EngineClient(engine.url, 0.02)
    default_stable = cfg.CONF[OPT_GROUP].stable_seconds
    cases = [('stable_seconds 0', 0),
             ('stable_seconds %g' % default_stable, default_stable)]
    times = {name: [] for name, _ in cases}
    engine_times = []
    loads = ['%.2f' % os.getloadavg()[0]]
    try:
        heat_create(rig, 0, heat_template)                # warm-up
        for _ in range(args.runs):
            if engine_template:
                start = time.perf_counter()
                capsule_uuid = client.run(engine_template)
                engine_times.append(time.perf_counter() - start)
                client.delete_and_wait(capsule_uuid)
            else:
                engine_times.append(heat_overhead.engine_round(client, 1))
            for name, stable in cases:
                times[name].append(heat_create(rig, stable, heat_template))
        loads.append('%.2f' % os.getloadavg()[0])
    finally:
        cfg.CONF.clear_override('stable_seconds', OPT_GROUP)
        rig.stop()
        engine.stop()
        engine_support.remove_everything(engine.driver())
    rows = [stats.row('1-capsule stack, %s, vs engine alone' % name,
                      times[name], engine_times) for name, _ in cases]
    print(heat_overhead.heat_table(rows))
    print()
    for row in rows:
        print('- %s: Heat adds %.2f s (median)' % (
            row['case'], row['engine_median'] - row['reference_median']))
    print('\nLoad average (1 min) before/after: %s' % ', '.join(loads))
    return 0


if __name__ == '__main__':
    sys.exit(main())

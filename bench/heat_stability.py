"""Benchmark 5: what OS::Zun::Capsule's stability rule adds to a stack.

The rule (heat_capsule/heat/verdict.py): an app container counts as started
once it has run for ``[clients_zun_capsule] stable_seconds`` (default 1 s)
of its current run, by the engine's clock. The same 1-capsule stack (one
busybox container that sleeps) is created with the rule at its default and
with ``stable_seconds = 0`` (complete on the first reading that shows it
running, the behaviour before the rule), runs alternating, through Heat 27's
real engine (tests/support/heat_rig.py) with Heat's own 1 s resource polling
and a heat-capsule-engine process on real Docker. Each run is timed from the
create call to CREATE_COMPLETE; the rule's cost is the difference of the
medians.
"""

from oslo_config import cfg

from bench import heat_overhead
from bench import stats
from tests.support import engine as engine_support
from tests.support import heat_rig

OPT_GROUP = 'clients_zun_capsule'


def timed_create(rig, stable_seconds):
    """Seconds from create to CREATE_COMPLETE of bench 4's 1-capsule stack
    with the rule set to ``stable_seconds``; the stack is deleted after."""
    cfg.CONF.set_override('stable_seconds', stable_seconds, OPT_GROUP)
    return heat_overhead.heat_round(rig, 1)


def main(quick=False):
    runs = 4 if quick else 15
    engine = engine_support.EngineProcess().start()
    rig = heat_rig.HeatRig(engine.url + '/v1', poll_interval=None)
    rig.start()
    try:
        default = cfg.CONF[OPT_GROUP].stable_seconds
        timed_create(rig, 0)                      # warm-up
        with_rule, without = [], []
        for _ in range(runs):
            with_rule.append(timed_create(rig, default))
            without.append(timed_create(rig, 0))
    finally:
        cfg.CONF.clear_override('stable_seconds', OPT_GROUP)
        rig.stop()
        engine.stop()
        engine_support.remove_everything(engine.driver())
    row = stats.row('1-capsule stack, stable_seconds %g vs 0' % default,
                    with_rule, without)
    table = stats.format_rows([row])
    for old, new in (('engine median', 'with the rule median'),
                     ('engine p99', 'with the rule p99'),
                     ('docker median', 'without median'),
                     ('docker p99', 'without p99')):
        table = table.replace(old, new, 1)
    return table + '\n\nThe rule adds %.2f s (median; target <= 0.5 s).\n' % (
        row['engine_median'] - row['reference_median'])

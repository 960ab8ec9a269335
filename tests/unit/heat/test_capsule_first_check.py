"""The first create check reads a capsule still in progress again.

Heat makes a create's first check right after handle_create and the next
one 1 s later (measured: bench/heat_floor.py, docs/benchmarks.md section
10). The first check therefore reads a Creating or Created capsule again
every FIRST_CHECK_POLL seconds for up to FIRST_CHECK_WAIT; later checks
read once (issue 25, target 5). The clock is a fake one that sleep()
advances, so the bounds are checked exactly, without timing anything.
"""

import uuid

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from oslo_config import cfg

from heat.common import exception
from heat.common import template_format
from heat.tests import utils

from heat_capsule.heat import capsule
from heat_capsule.heat import client as capsule_client
from heat_capsule.heat import polling
from tests.unit.heat import test_capsule_resource as base

Capsule = capsule.Capsule
# Readings the first check may make: one, then one per poll in the wait.
MOST_READS = 1 + int(round(Capsule.FIRST_CHECK_WAIT /
                           Capsule.FIRST_CHECK_POLL))
IN_PROGRESS = ('Creating', 'Created')


class FakeClock:
    """Stands in for the ``time`` module of heat_capsule.heat.polling and
    .capsule: sleep() moves monotonic() on."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


class FirstCheckCase(base.CapsuleTestCase):

    def setUp(self):
        super().setUp()
        self.clock = FakeClock()
        self.patchobject(polling, 'time', new=self.clock)
        self.patchobject(capsule, 'time', new=self.clock)
        self.config_stable(0)

    def config_stable(self, seconds):
        cfg.CONF.set_override('stable_seconds', seconds,
                              capsule_client.OPT_GROUP)
        self.addCleanup(cfg.CONF.clear_override, 'stable_seconds',
                        capsule_client.OPT_GROUP)

    def answers(self, *statuses):
        self.client.capsules.get.side_effect = [
            base.capsule_view(status=status) for status in statuses]

    def reads(self):
        return self.client.capsules.get.call_count


class TestFirstCheck(FirstCheckCase):

    def test_the_first_check_finds_the_capsule_running(self):
        rsrc = self.make_resource()
        self.answers('Creating', 'Created', 'Running')
        self.assertIs(True, rsrc.check_create_complete(base.UUID))
        self.assertEqual(3, self.reads())
        self.assertEqual([Capsule.FIRST_CHECK_POLL] * 2, self.clock.slept)

    def test_later_checks_read_once(self):
        rsrc = self.make_resource()
        self.answers(*['Creating'] * (MOST_READS + 2))
        self.assertIs(False, rsrc.check_create_complete(base.UUID))
        self.assertEqual(MOST_READS, self.reads())
        self.assertIs(False, rsrc.check_create_complete(base.UUID))
        self.assertEqual(MOST_READS + 1, self.reads())

    def test_the_wait_is_bounded_by_heats_step(self):
        rsrc = self.make_resource()
        self.answers(*['Created'] * (MOST_READS + 1))
        start = self.clock.now
        self.assertIs(False, rsrc.check_create_complete(base.UUID))
        self.assertLessEqual(self.clock.now - start,
                             Capsule.FIRST_CHECK_WAIT + 1e-9)

    def test_an_error_during_the_wait_fails_the_first_check(self):
        rsrc = self.make_resource()
        self.client.capsules.get.side_effect = [
            base.capsule_view(status='Creating'),
            base.capsule_view(status='Error', status_reason='no image')]
        exc = self.assertRaises(exception.ResourceInError,
                                rsrc.check_create_complete, base.UUID)
        self.assertIn('no image', str(exc))
        self.assertEqual(2, self.reads())

    def test_the_stability_rule_still_applies_after_the_wait(self):
        """Running found during the wait, for 0.2 s of its run: the rule's
        1 s is waited (then read again), not skipped."""
        self.config_stable(1.0)
        rsrc = self.make_resource()
        young = [{'uuid': 'c-1', 'name': 'nginx', 'image': 'nginx',
                  'status': 'Running', 'uptime': 0.2, 'restart_count': 0},
                 {'uuid': 'c-2', 'name': 'busybox', 'image': 'busybox',
                  'status': 'Running', 'uptime': 0.2, 'restart_count': 0}]
        old = [dict(c, uptime=1.2) for c in young]
        self.client.capsules.get.side_effect = [
            base.capsule_view(status='Creating'),
            base.capsule_view(status='Running', containers=young),
            base.capsule_view(status='Running', containers=old)]
        self.assertIs(True, rsrc.check_create_complete(base.UUID))
        self.assertEqual(3, self.reads())
        self.assertAlmostEqual(Capsule.FIRST_CHECK_POLL + 0.8,
                               sum(self.clock.slept))


class TestFirstCheckDrawn(FirstCheckCase):

    @settings(max_examples=60, deadline=None)
    @given(progress=st.lists(st.sampled_from(IN_PROGRESS),
                             max_size=MOST_READS + 3),
           outcome=st.sampled_from(['Running', None]))
    def test_reads_until_an_outcome_or_the_bound(self, progress, outcome):
        """Any run of in-progress readings, then Running (or nothing but
        in-progress readings): the first check reads until the first
        reading that is not in progress, or MOST_READS readings; it is
        complete exactly when Running came within them."""
        statuses = list(progress) + ([outcome] if outcome else [])
        statuses += ['Creating'] * (MOST_READS + 1)
        stack = utils.parse_stack(template_format.parse(self.template),
                                  stack_name='s' + uuid.uuid4().hex)
        rsrc = stack['capsule']
        self.client.capsules.get.reset_mock()
        self.clock.slept.clear()
        self.answers(*statuses)
        done = rsrc.check_create_complete(base.UUID)
        running_at = len(progress) + 1 if outcome else None
        within = running_at is not None and running_at <= MOST_READS
        self.assertIs(within, done)
        self.assertEqual(running_at if within else MOST_READS, self.reads())
        self.assertLessEqual(sum(self.clock.slept),
                             Capsule.FIRST_CHECK_WAIT + 1e-9)

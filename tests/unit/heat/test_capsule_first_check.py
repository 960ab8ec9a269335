"""The first create check polls a little while the capsule is created.

Heat checks a create one step (1 s) after handle_create, then once a
step.  A create still in progress at the first check is polled again every
FIRST_CHECK_POLL seconds, for at most FIRST_CHECK_WAIT, within that check,
while the capsule is Creating or Created (issue 25).  Later checks answer
from one GET, as before.
"""

from unittest import mock

from heat.common import exception
from heat.common import template_format
from heat.tests import utils

from heat_capsule.heat import capsule
from tests.unit.heat import test_capsule_resource as base

MOST_GETS = 1 + int(capsule.Capsule.FIRST_CHECK_WAIT /
                    capsule.Capsule.FIRST_CHECK_POLL)


class TestFirstCheck(base.CapsuleTestCase):

    def setUp(self):
        super().setUp()
        self.sleep = self.patchobject(capsule.time, 'sleep')

    def answers(self, *statuses):
        self.client.capsules.get.side_effect = [
            base.capsule_view(status=status) for status in statuses]

    def test_the_first_check_finds_the_capsule_running(self):
        rsrc = self.make_resource()
        self.answers('Creating', 'Created', 'Running')
        self.assertIs(True, rsrc.check_create_complete(base.UUID))
        self.assertEqual(3, self.client.capsules.get.call_count)
        self.sleep.assert_has_calls(
            [mock.call(capsule.Capsule.FIRST_CHECK_POLL)] * 2)

    def test_later_checks_read_once(self):
        rsrc = self.make_resource()
        self.answers(*['Creating'] * (MOST_GETS + 1))
        self.assertIs(False, rsrc.check_create_complete(base.UUID))
        self.assertEqual(MOST_GETS, self.client.capsules.get.call_count)
        self.assertIs(False, rsrc.check_create_complete(base.UUID))
        self.assertEqual(MOST_GETS + 1, self.client.capsules.get.call_count)

    def test_an_error_during_the_wait_fails_the_first_check(self):
        rsrc = self.make_resource()
        self.client.capsules.get.side_effect = [
            base.capsule_view(status='Creating'),
            base.capsule_view(status='Error', status_reason='no image')]
        exc = self.assertRaises(exception.ResourceInError,
                                rsrc.check_create_complete, base.UUID)
        self.assertIn('no image', str(exc))

    def test_the_wait_is_bounded_and_stops_at_the_first_outcome(self):
        """Running after k in-progress readings, for every k the wait
        allows and one more: k + 1 GETs and done, or MOST_GETS and not."""
        for k in range(MOST_GETS + 1):
            for progress in ('Creating', 'Created'):
                stack = utils.parse_stack(
                    template_format.parse(self.template),
                    stack_name='first-check-%d-%s' % (k, progress))
                rsrc = stack['capsule']
                self.client.capsules.get.reset_mock()
                self.answers(*[progress] * k + ['Running'])
                done = rsrc.check_create_complete(base.UUID)
                self.assertEqual(min(k + 1, MOST_GETS),
                                 self.client.capsules.get.call_count, k)
                self.assertIs(k < MOST_GETS, done, k)

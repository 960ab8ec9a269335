"""termination_grace_period: mapped onto the template, fitted to the stack.

The mapping is the pure ``build_template`` (every value hypothesis draws);
the rest goes through Heat's real resource state machine with only the
zunclient calls mocked, as in test_capsule_resource.
"""

import uuid

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import testtools

from heat.common import exception
from heat.common import template_format
from heat.engine import scheduler
from heat.tests import utils

from heat_capsule.heat import template
from tests.unit.heat import test_capsule_resource as base
from tests.unit.heat import test_capsule_template as mapping

FIELD = 'terminationGracePeriodSeconds'

TEMPLATE = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      termination_grace_period: %s
      containers:
        - image: busybox
'''


class TestMapping(testtools.TestCase):

    @settings(max_examples=200, deadline=None, derandomize=True)
    @given(st.integers(min_value=0, max_value=86400))
    def test_any_value_lands_on_the_spec_as_given(self, seconds):
        built = template.build_template(mapping.props(
            termination_grace_period=seconds))
        self.assertEqual(seconds, built['spec'][FIELD])

    def test_zero_is_kept_not_dropped_as_unset(self):
        built = template.build_template(mapping.props(
            termination_grace_period=0))
        self.assertEqual(0, built['spec'][FIELD])

    def test_unset_leaves_the_service_default(self):
        built = template.build_template(mapping.props())
        self.assertNotIn(FIELD, built['spec'])


class TestResource(base.CapsuleTestCase):

    def test_create_sends_the_grace_period(self):
        self.create(TEMPLATE % 45)
        sent = self.client.capsules.create.call_args.kwargs['template']
        self.assertEqual(45, sent['spec'][FIELD])

    def test_negative_is_refused_by_the_schema(self):
        stack = self.make_stack(TEMPLATE % -1)
        self.assertRaises(exception.StackValidationFailed, stack.validate)

    def check(self, seconds, timeout_mins):
        # hypothesis seeds `random`, which Heat's random stack names use.
        stack = utils.parse_stack(template_format.parse(TEMPLATE % seconds),
                                  timeout_mins=timeout_mins,
                                  stack_name='g-' + uuid.uuid4().hex)
        return stack.validate

    @settings(max_examples=60, deadline=None, derandomize=True)
    @given(st.integers(min_value=1, max_value=10),
           st.integers(min_value=0, max_value=700))
    def test_the_delete_wait_must_fit_in_the_stack_timeout(self, minutes,
                                                           seconds):
        validate = self.check(seconds, minutes)
        room = minutes * 60 - capsule_margin()
        if seconds < room:
            self.assertIsNone(validate())
        else:
            exc = self.assertRaises(exception.StackValidationFailed,
                                    validate)
            self.assertIn('properties.termination_grace_period', str(exc))
            self.assertIn('timeout of %d s' % (minutes * 60), str(exc))
        self.assertEqual([], self.client.mock_calls)

    def test_delete_waits_through_the_grace_period(self):
        """Deleting, with the stop sequence's reason, is waited on like any
        Deleting; the capsule's 404 completes the delete."""
        rsrc = self.create(TEMPLATE % 30)
        stopping = base.capsule_view(
            status='Deleting',
            status_reason='Stopping: sent SIGTERM to container-1; '
                          'containers still running at 10:00:30 UTC '
                          '(grace period 30 s) will be killed.')
        self.client.capsules.get.reset_mock()
        self.client.capsules.get.side_effect = [base.capsule_view()] + [
            stopping] * 5 + [base.not_found()]
        scheduler.TaskRunner(rsrc.delete)()
        self.assertEqual((rsrc.DELETE, rsrc.COMPLETE), rsrc.state)
        self.assertEqual(7, self.client.capsules.get.call_count)


def capsule_margin():
    from heat_capsule.heat import capsule
    return capsule.Capsule.TIMEOUT_MARGIN

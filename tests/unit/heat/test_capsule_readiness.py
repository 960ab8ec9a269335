"""OS::Zun::Capsule: healthchecks, created_when and the logs attribute.

As in test_capsule_resource, only zunclient is mocked; Heat's resource state
machine, properties and validation are the real ones.
"""

from unittest import mock

from oslo_config import cfg
from zunclient import exceptions as zc_exc

from heat.common import exception
from heat.common import template_format
from heat.engine import scheduler
from heat.tests import utils

from heat_capsule.heat import template as capsule_template
from tests.unit.heat import test_capsule_resource as base

HEALTHY_TEMPLATE = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      created_when: healthy
      init_containers:
        - name: setup
          image: busybox
      containers:
        - name: web
          image: busybox
          healthcheck:
            cmd: wget -q -O- http://localhost:8080/
            interval: 1
            retries: 5
        - name: side
          image: busybox
'''

CHECK = {'cmd': 'wget -q -O- http://localhost:8080/', 'interval': 1,
         'timeout': 5, 'retries': 5, 'start_period': 0}


def view(web_health, output=None, status='Running', check=CHECK):
    web_check = dict(check, status=web_health, output=output) if check \
        else {}
    return base.capsule_view(status=status, containers=[
        {'uuid': 'c-web', 'name': 'web', 'status': 'Running',
         'healthcheck': web_check, 'uptime': 30.0},
        {'uuid': 'c-side', 'name': 'side', 'status': 'Running',
         'healthcheck': {}, 'uptime': 30.0}])


class TestHealthcheckMapping(base.CapsuleTestCase):

    def test_healthcheck_is_sent_with_only_the_given_keys(self):
        self.client.capsules.get.return_value = view('healthy')
        self.create(HEALTHY_TEMPLATE)
        sent = self.client.capsules.create.call_args.kwargs['template']
        web, side = sent['spec']['containers']
        self.assertEqual({'cmd': 'wget -q -O- http://localhost:8080/',
                          'interval': 1, 'retries': 5}, web['healthcheck'])
        self.assertNotIn('healthcheck', side)
        self.assertNotIn('healthcheck', sent['spec']['initContainers'][0])

    def test_build_container_drops_unset_healthcheck_keys(self):
        entry = capsule_template.build_container(
            {'image': 'busybox', 'healthcheck': {
                'cmd': 'true', 'interval': None, 'timeout': 3,
                'retries': None, 'start_period': None}}, 'web')
        self.assertEqual({'cmd': 'true', 'timeout': 3},
                         entry['healthcheck'])


class TestCreatedWhen(base.CapsuleTestCase):

    template = HEALTHY_TEMPLATE

    def test_started_is_the_default_and_ignores_health(self):
        self.client.capsules.get.return_value = view('starting')
        rsrc = self.make_resource(base.MINIMAL_TEMPLATE)
        self.assertEqual('started', rsrc.properties['created_when'])
        self.assertTrue(rsrc.check_create_complete(base.UUID))

    def test_healthy_waits_for_every_checked_container(self):
        cfg.CONF.set_override('action_retry_limit', 0)
        self.client.capsules.get.side_effect = [
            base.capsule_view(status='Creating'),
            view(None),                 # Running, no verdict yet
            view('starting', output='connection refused'),
            view('starting'),
            view('healthy'),
        ]
        rsrc = self.create()
        self.assertEqual(5, self.client.capsules.get.call_count)
        self.assertEqual((rsrc.CREATE, rsrc.COMPLETE), rsrc.state)

    def test_unhealthy_fails_with_the_check_output(self):
        cfg.CONF.set_override('action_retry_limit', 0)
        self.client.capsules.get.side_effect = [
            view('starting'),
            view('unhealthy', output='HTTP/1.1 503 Service Unavailable'),
        ]
        rsrc = self.make_resource()
        exc = self.assertRaises(exception.ResourceFailure,
                                scheduler.TaskRunner(rsrc.create))
        self.assertEqual((rsrc.CREATE, rsrc.FAILED), rsrc.state)
        self.assertIsInstance(exc.exc, exception.ResourceInError)
        self.assertIn('container web is unhealthy: HTTP/1.1 503 Service '
                      'Unavailable', str(exc))

    def test_a_service_without_capsule_healthchecks_fails_clearly(self):
        """A real Zun shows healthcheck {}: waiting would never end."""
        self.client.capsules.get.return_value = view(None, check=None)
        rsrc = self.make_resource()
        exc = self.assertRaises(exception.Error,
                                rsrc.check_create_complete, base.UUID)
        self.assertIn('does not report the healthcheck of container web',
                      str(exc))

    def test_still_starting_near_the_stack_timeout_says_why(self):
        self.client.capsules.get.return_value = view(
            'starting', output='connection refused')
        rsrc = self.make_resource()
        self.patchobject(rsrc, '_out_of_time', return_value=True)
        self.patchobject(rsrc.stack, 'time_elapsed', return_value=55)
        exc = self.assertRaises(exception.Error,
                                rsrc.check_create_complete, base.UUID)
        self.assertIn('web (starting: connection refused)', str(exc))

    def test_healthy_needs_a_healthcheck(self):
        tmpl = template_format.parse(HEALTHY_TEMPLATE)
        del tmpl['resources']['capsule']['properties']['containers'][0][
            'healthcheck']
        stack = utils.parse_stack(tmpl)
        exc = self.assertRaises(exception.StackValidationFailed,
                                stack.validate)
        self.assertIn('created_when', str(exc))
        self.assertIn('needs at least one container with a healthcheck',
                      str(exc))
        self.assertEqual([], self.client.mock_calls)

    def test_init_containers_have_no_healthcheck_property(self):
        tmpl = template_format.parse(HEALTHY_TEMPLATE)
        tmpl['resources']['capsule']['properties']['init_containers'][0][
            'healthcheck'] = {'cmd': 'true'}
        stack = utils.parse_stack(tmpl)
        exc = self.assertRaises(exception.StackValidationFailed,
                                stack.validate)
        self.assertIn('healthcheck', str(exc))

    def test_healthcheck_values_are_checked_by_heat(self):
        tmpl = template_format.parse(HEALTHY_TEMPLATE)
        tmpl['resources']['capsule']['properties']['containers'][0][
            'healthcheck']['interval'] = 0
        stack = utils.parse_stack(tmpl)
        exc = self.assertRaises(exception.StackValidationFailed,
                                stack.validate)
        self.assertIn('interval', str(exc))


class TestLogsAttribute(base.CapsuleTestCase):

    def test_logs_map_each_container_to_its_last_lines(self):
        rsrc = self.create()
        self.client.containers.logs.side_effect = ['setup done\n',
                                                   'listening\n']
        self.assertEqual({'setup': 'setup done\n', 'nginx': 'listening\n'},
                         rsrc.FnGetAtt('logs'))
        self.assertEqual(
            [mock.call('c-0', stdout=True, stderr=True, tail=50,
                       timestamps=False, since=None),
             mock.call('c-1', stdout=True, stderr=True, tail=50,
                       timestamps=False, since=None)],
            self.client.containers.logs.call_args_list)

    def test_logs_are_read_on_every_access(self):
        rsrc = self.create()
        self.client.containers.logs.side_effect = ['a', 'b', 'c', 'd']
        first = rsrc.FnGetAtt('logs')
        second = rsrc.FnGetAtt('logs')
        self.assertEqual({'setup': 'a', 'nginx': 'b'}, first)
        self.assertEqual({'setup': 'c', 'nginx': 'd'}, second)

    def test_an_unreadable_log_is_empty(self):
        rsrc = self.create()
        self.client.containers.logs.side_effect = [
            zc_exc.NotFound('gone'), 'still here\n']
        self.assertEqual({'setup': '', 'nginx': 'still here\n'},
                         rsrc.FnGetAtt('logs'))

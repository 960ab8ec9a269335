"""OS::Zun::Capsule when the container service cannot be reached.

Driven through Heat's real resource state machine with zunclient mocked
(``Capsule.client``), as in ``test_capsule_resource.py``; the exceptions are
the real ones keystoneauth and zunclient raise. The clock of "how long has
the service been unreachable" is ``time.monotonic`` in the resource module,
patched here; the stack's own clock is its created_time and timeout_mins.
"""

import datetime
from unittest import mock

from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from oslo_utils import timeutils
from zunclient import exceptions as zc_exc
from zunclient.v1 import capsules as zun_capsules

from heat.common import exception
from heat.common import template_format
from heat.engine import resource
from heat.engine import scheduler
from heat.tests import common
from heat.tests import utils

from heat_capsule.heat import capsule
from heat_capsule.heat import client as capsule_client

UUID = 'a2ea3cd8-5a3c-4a43-9ab8-7a4b0f1d9c11'
ENDPOINT = 'http://zun.example:9517/v1'
REFUSED = '[Errno 111] Connection refused'

TEMPLATE = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - image: busybox
'''

PREFIX = 'ServiceUnreachable: resources.capsule: '


def view(status='Running', reason=None):
    return zun_capsules.Capsule(None, {'uuid': UUID, 'status': status,
                                       'status_reason': reason},
                                loaded=True)


def refused(url=ENDPOINT + '/capsules'):
    """ConnectFailure as keystoneauth raises it, the OS error inside."""
    try:
        try:
            raise ConnectionRefusedError(111, 'Connection refused')
        except OSError as os_error:
            raise ks_exc.ConnectFailure(
                'Unable to establish connection to %s: HTTPConnectionPool('
                'host=...): Max retries exceeded (Caused by '
                'NewConnectionError(%r))' % (url, str(os_error)))
    except ks_exc.ConnectFailure as exc:
        return exc


def not_found():
    return zc_exc.NotFound('Capsule %s could not be found.' % UUID)


class UnreachableTestCase(common.HeatTestCase):

    def setUp(self):
        super().setUp()
        resource._register_class(capsule.RESOURCE_TYPE, capsule.Capsule)
        cfg.CONF.set_override('action_retry_limit', 0)
        self.client = mock.Mock(name='zunclient')
        self.patchobject(capsule.Capsule, 'client',
                         return_value=self.client)
        self.url_for = self.patchobject(
            capsule_client.ZunCapsuleClientPlugin, 'url_for',
            return_value=ENDPOINT)
        self.client.capsules.create.return_value = view('Creating')
        self.client.capsules.get.return_value = view()
        self.now = 1000.0
        self.patchobject(capsule.time, 'monotonic',
                         side_effect=lambda: self.now)
        self.stack = utils.parse_stack(template_format.parse(TEMPLATE))
        self.rsrc = self.stack['capsule']

    def gets(self, *answers):
        """GET answers, each (seconds to advance the clock, answer)."""
        def get(capsule_id):
            self.assertEqual(UUID, capsule_id)
            seconds, answer = next(script)
            self.now += seconds
            if isinstance(answer, BaseException):
                raise answer
            return answer
        script = iter(answers)
        self.client.capsules.get.side_effect = get

    def stack_started(self, seconds_ago, timeout_mins=1):
        self.stack.timeout_mins = timeout_mins
        self.stack.created_time = timeutils.utcnow() - datetime.timedelta(
            seconds=seconds_ago)

    def created(self):
        scheduler.TaskRunner(self.rsrc.create)()
        self.assertEqual((self.rsrc.CREATE, self.rsrc.COMPLETE),
                         self.rsrc.state)
        self.client.capsules.get.reset_mock()

    def fail(self, task):
        exc = self.assertRaises(exception.ResourceFailure,
                                scheduler.TaskRunner(task))
        self.assertEqual(self.rsrc.FAILED, self.rsrc.status)
        self.assertEqual(str(exc), self.rsrc.status_reason)
        return self.rsrc.status_reason


class TestClientPlugin(UnreachableTestCase):

    def setUp(self):
        super().setUp()
        self.plugin = self.rsrc.client_plugin()

    def test_what_counts_as_unreachable(self):
        for exc in (refused(), ks_exc.ConnectTimeout('timed out'),
                    ks_exc.UnknownConnectionError('odd', ValueError()),
                    zc_exc.ConnectionRefused('refused'),
                    zc_exc.BadGateway(), zc_exc.ServiceUnavailable(),
                    zc_exc.GatewayTimeout()):
            self.assertTrue(self.plugin.is_unreachable(exc), repr(exc))
        for exc in (not_found(), zc_exc.InternalServerError('kaboom'),
                    zc_exc.Conflict('busy'), zc_exc.BadRequest('bad'),
                    ValueError('x')):
            self.assertFalse(self.plugin.is_unreachable(exc), repr(exc))

    def test_root_cause_is_the_os_error(self):
        self.assertEqual(REFUSED, capsule_client.root_cause(refused()))
        self.assertEqual('Service Unavailable (HTTP 503)',
                         capsule_client.root_cause(
                             zc_exc.ServiceUnavailable()))

    def test_messages_name_the_endpoint(self):
        self.assertEqual(
            'The container service at %s is unreachable: %s'
            % (ENDPOINT, REFUSED),
            str(self.plugin.unreachable_error(refused())))
        self.assertEqual(
            'The container service at %s has been unreachable for 42 s: %s'
            % (ENDPOINT, REFUSED),
            str(self.plugin.unreachable_error(refused(), 42.7)))
        self.url_for.assert_called_with(service_type='container',
                                        endpoint_type='public')

    def test_message_without_a_known_endpoint(self):
        self.url_for.side_effect = ks_exc.EndpointNotFound()
        self.assertEqual(
            'The container service is unreachable: %s' % REFUSED,
            str(self.plugin.unreachable_error(refused())))

    def test_unreachable_timeout_option(self):
        self.assertEqual(120, self.plugin.unreachable_timeout())
        cfg.CONF.set_override('unreachable_timeout', 7,
                              'clients_zun_capsule')
        self.assertEqual(7, self.plugin.unreachable_timeout())

    def test_client_options_still_fall_back_to_clients(self):
        # The plugin's own group exists now; Heat reads endpoint_type there
        # first and must still fall back to [clients].
        cfg.CONF.set_override('endpoint_type', 'internal', 'clients')
        self.assertEqual('internal', self.plugin._get_client_option(
            'zun_capsule', 'endpoint_type'))
        cfg.CONF.set_override('endpoint_type', 'admin',
                              'clients_zun_capsule')
        self.assertEqual('admin', self.plugin._get_client_option(
            'zun_capsule', 'endpoint_type'))


class TestCreate(UnreachableTestCase):

    def test_refused_create_fails_at_once(self):
        self.client.capsules.create.side_effect = refused()
        reason = self.fail(self.rsrc.create)
        self.assertEqual(
            PREFIX + 'The container service at %s is unreachable: %s'
            % (ENDPOINT, REFUSED), reason)
        self.assertIsNone(self.rsrc.resource_id)
        self.client.capsules.create.assert_called_once()
        self.client.capsules.get.assert_not_called()

    def test_unavailable_answer_fails_at_once(self):
        self.client.capsules.create.side_effect = (
            zc_exc.ServiceUnavailable())
        self.assertIn('is unreachable: Service Unavailable (HTTP 503)',
                      self.fail(self.rsrc.create))

    def test_service_back_within_the_allowance_is_fine(self):
        self.gets((1, view('Creating')), (1, refused()), (60, refused()),
                  (59, zc_exc.ServiceUnavailable()), (1, view('Created')),
                  (1, view('Running')))
        self.created()

    def test_unreachable_for_the_allowance_fails(self):
        cfg.CONF.set_override('unreachable_timeout', 30,
                              'clients_zun_capsule')
        self.gets((1, view('Creating')), (5, refused()), (15, refused()),
                  (14, refused()), (1, refused()), (1, view('Running')))
        reason = self.fail(self.rsrc.create)
        self.assertEqual(
            PREFIX + 'The container service at %s has been unreachable '
            'for 30 s: %s' % (ENDPOINT, REFUSED), reason)
        self.assertEqual(UUID, self.rsrc.resource_id)
        self.assertEqual(5, self.client.capsules.get.call_count)

    def test_a_successful_poll_restarts_the_clock(self):
        cfg.CONF.set_override('unreachable_timeout', 30,
                              'clients_zun_capsule')
        self.gets((1, refused()), (29, view('Creating')), (1, refused()),
                  (29, refused()), (1, view('Running')))
        self.created()

    def test_other_errors_are_not_retried(self):
        self.gets((1, refused()), (1, zc_exc.InternalServerError('kaboom')))
        self.assertIn('kaboom', self.fail(self.rsrc.create))

    def test_unreachable_near_the_stack_timeout_fails(self):
        # Far more allowed than the stack has left: the stack's timeout
        # (less a 5 s margin) is what ends the wait.
        self.stack_started(seconds_ago=40)
        self.gets((1, view('Creating')), (1, refused()))
        self.assertIs(False, self.rsrc.check_create_complete(UUID))
        self.assertIs(False, self.rsrc.check_create_complete(UUID))
        self.stack_started(seconds_ago=56)
        self.gets((3, refused()))
        exc = self.assertRaises(capsule_client.ServiceUnreachable,
                                self.rsrc.check_create_complete, UUID)
        self.assertEqual('The container service at %s has been unreachable '
                         'for 3 s: %s' % (ENDPOINT, REFUSED), str(exc))

    def test_still_creating_near_the_stack_timeout_fails(self):
        self.stack_started(seconds_ago=50)
        self.client.capsules.get.return_value = view('Creating')
        self.assertIs(False, self.rsrc.check_create_complete(UUID))
        self.stack_started(seconds_ago=57)
        exc = self.assertRaises(exception.Error,
                                self.rsrc.check_create_complete, UUID)
        self.assertEqual('Capsule "capsule" is still Creating 57 s into '
                         'the stack\'s 60 s timeout: no reason given',
                         str(exc))
        self.client.capsules.get.return_value = view('Created',
                                                     'pulling busybox')
        self.assertIn('still Created 57 s into the stack\'s 60 s '
                      'timeout: pulling busybox',
                      str(self.assertRaises(
                          exception.Error, self.rsrc.check_create_complete,
                          UUID)))

    def test_running_near_the_stack_timeout_completes(self):
        self.stack_started(seconds_ago=59)
        self.assertIs(True, self.rsrc.check_create_complete(UUID))

    def test_capsule_gone_while_creating(self):
        self.client.capsules.get.return_value = None
        self.assertRaises(exception.EntityNotFound,
                          self.rsrc.check_create_complete, UUID)


class TestDelete(UnreachableTestCase):

    def setUp(self):
        super().setUp()
        self.created()

    def test_refused_get_before_delete_fails_at_once(self):
        self.client.capsules.get.side_effect = refused()
        reason = self.fail(self.rsrc.delete)
        self.assertEqual((self.rsrc.DELETE, self.rsrc.FAILED),
                         self.rsrc.state)
        self.assertEqual(
            PREFIX + 'The container service at %s is unreachable: %s'
            % (ENDPOINT, REFUSED), reason)
        self.client.capsules.delete.assert_not_called()

    def test_refused_delete_fails_at_once(self):
        self.client.capsules.delete.side_effect = refused()
        self.assertIn('is unreachable: ' + REFUSED,
                      self.fail(self.rsrc.delete))
        self.assertEqual(1, self.client.capsules.get.call_count)

    def test_service_back_within_the_allowance_is_fine(self):
        self.gets((0, view()), (1, view('Deleting')), (1, refused()),
                  (100, refused()), (1, not_found()))
        scheduler.TaskRunner(self.rsrc.delete)()
        self.assertEqual((self.rsrc.DELETE, self.rsrc.COMPLETE),
                         self.rsrc.state)

    def test_unreachable_for_the_allowance_fails(self):
        cfg.CONF.set_override('unreachable_timeout', 10,
                              'clients_zun_capsule')
        self.gets((0, view()), (1, refused()), (9, refused()),
                  (1, refused()), (1, not_found()))
        reason = self.fail(self.rsrc.delete)
        self.assertEqual((self.rsrc.DELETE, self.rsrc.FAILED),
                         self.rsrc.state)
        self.assertEqual(
            PREFIX + 'The container service at %s has been unreachable '
            'for 10 s: %s' % (ENDPOINT, REFUSED), reason)

    def test_still_deleting_near_the_stack_timeout_fails(self):
        self.stack_started(seconds_ago=58)
        self.gets((0, view()), (1, view('Deleting', 'removing')))
        self.assertIn('Capsule "capsule" is still Deleting 58 s into the '
                      'stack\'s 60 s timeout: removing',
                      self.fail(self.rsrc.delete))

    def test_gone_near_the_stack_timeout_completes(self):
        self.stack_started(seconds_ago=58)
        self.gets((0, view()), (1, not_found()))
        scheduler.TaskRunner(self.rsrc.delete)()
        self.assertEqual((self.rsrc.DELETE, self.rsrc.COMPLETE),
                         self.rsrc.state)

    def test_unreachable_time_of_the_create_is_not_carried_over(self):
        cfg.CONF.set_override('unreachable_timeout', 10,
                              'clients_zun_capsule')
        self.gets((0, refused()))
        self.assertIsNone(self.rsrc._poll(UUID))
        # Much later, a delete: its own allowance starts afresh.
        self.gets((600, view()), (1, refused()), (1, not_found()))
        scheduler.TaskRunner(self.rsrc.delete)()
        self.assertEqual((self.rsrc.DELETE, self.rsrc.COMPLETE),
                         self.rsrc.state)


class TestDocumentation(common.HeatTestCase):

    def test_the_docstring_says_what_the_timeouts_are(self):
        doc = capsule.Capsule.getdoc()
        for words in ('timeout_mins', '[clients_zun_capsule] '
                      'unreachable_timeout', 'default 120',
                      'has been unreachable for N s', '5 s before'):
            self.assertIn(words, ' '.join(doc.split()))

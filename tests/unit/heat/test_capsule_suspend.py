"""OS::Zun::Capsule: stack suspend/resume pause and unpause the capsule.

As in test_capsule_resource, only zunclient is mocked (its HTTP client's
json_request for the action URL); Heat's resource state machine is real.
A service without the extension (a real Zun answers 404 or 405 for the
action URL) fails the suspend with the reason.
"""

from unittest import mock

from zunclient import exceptions as zc_exc

from heat.engine import scheduler

from heat_capsule.heat import client as capsule_client
from tests.unit.heat import test_capsule_resource as base


def _error(cls, status):
    return cls(message='answered %d' % status, http_status=status)


class TestSuspendResume(base.CapsuleTestCase):

    def setUp(self):
        super().setUp()
        self.patchobject(capsule_client.ZunCapsuleClientPlugin, 'client',
                         return_value=self.client)
        self.patchobject(capsule_client.ZunCapsuleClientPlugin, 'endpoint',
                         return_value='http://127.0.0.1:9517/v1')
        self.posted = self.client.http_client.json_request
        self.posted.return_value = (mock.Mock(status_code=202), {})

    def statuses(self, *statuses):
        self.client.capsules.get.reset_mock()
        self.client.capsules.get.side_effect = [
            base.capsule_view(status=s) for s in statuses]

    def test_suspend_pauses_and_waits_for_paused(self):
        rsrc = self.create()
        self.statuses('Running', 'Running', 'Paused')
        scheduler.TaskRunner(rsrc.suspend)()
        self.assertEqual((rsrc.SUSPEND, rsrc.COMPLETE), rsrc.state)
        self.posted.assert_called_once_with(
            'POST', '/capsules/%s/pause' % base.UUID,
            headers={'Content-Length': '0'})
        self.assertEqual(3, self.client.capsules.get.call_count)

    def test_resume_unpauses_and_waits_for_running(self):
        rsrc = self.create()
        self.statuses('Paused')
        scheduler.TaskRunner(rsrc.suspend)()
        self.posted.reset_mock()
        self.statuses('Paused', 'Running')
        scheduler.TaskRunner(rsrc.resume)()
        self.assertEqual((rsrc.RESUME, rsrc.COMPLETE), rsrc.state)
        self.posted.assert_called_once_with(
            'POST', '/capsules/%s/unpause' % base.UUID,
            headers={'Content-Length': '0'})

    def test_a_real_zun_fails_the_suspend_with_the_reason(self):
        for error in (_error(zc_exc.NotFound, 404),
                      _error(zc_exc.MethodNotAllowed, 405)):
            rsrc = self.create()
            self.posted.side_effect = error
            self.client.capsules.get.side_effect = None
            self.client.capsules.get.return_value = base.capsule_view()
            runner = scheduler.TaskRunner(rsrc.suspend)
            exc = self.assertRaises(Exception, runner)
            self.assertEqual((rsrc.SUSPEND, rsrc.FAILED), rsrc.state)
            self.assertIn('cannot pause capsules', str(exc))
            self.assertIn('HTTP %d for POST /capsules/%s/pause'
                          % (error.http_status, base.UUID),
                          rsrc.status_reason)
            self.assertIn('Zun does not have', rsrc.status_reason)
            self.assertIn('http://127.0.0.1:9517/v1', rsrc.status_reason)

    def test_a_missing_capsule_is_not_called_unsupported(self):
        rsrc = self.create()
        self.posted.side_effect = _error(zc_exc.NotFound, 404)
        self.client.capsules.get.side_effect = _error(zc_exc.NotFound, 404)
        exc = self.assertRaises(Exception, scheduler.TaskRunner(rsrc.suspend))
        self.assertNotIn('cannot pause', str(exc))
        self.assertEqual((rsrc.SUSPEND, rsrc.FAILED), rsrc.state)

    def test_a_capsule_that_does_not_freeze_fails_the_suspend(self):
        rsrc = self.create()
        self.client.capsules.get.side_effect = [base.capsule_view(
            status='Error', status_reason='sandbox removed')]
        exc = self.assertRaises(Exception, scheduler.TaskRunner(rsrc.suspend))
        self.assertIn('did not become Paused', str(exc))
        self.assertIn('sandbox removed', str(exc))

    def test_conflict_is_fine_when_already_there(self):
        rsrc = self.create()
        self.posted.side_effect = _error(zc_exc.Conflict, 409)
        self.statuses('Paused', 'Paused')
        scheduler.TaskRunner(rsrc.suspend)()
        self.assertEqual((rsrc.SUSPEND, rsrc.COMPLETE), rsrc.state)

    def test_conflict_otherwise_fails_with_the_service_reason(self):
        rsrc = self.create()
        self.posted.side_effect = _error(zc_exc.Conflict, 409)
        self.statuses('Error')
        exc = self.assertRaises(Exception, scheduler.TaskRunner(rsrc.suspend))
        self.assertIn('cannot pause', str(exc))
        self.assertIn('answered 409', str(exc))

    def test_no_capsule_nothing_to_do(self):
        rsrc = self.make_resource()
        self.assertIsNone(rsrc.handle_suspend())
        self.assertTrue(rsrc.check_suspend_complete(None))
        self.assertIsNone(rsrc.handle_resume())
        self.posted.assert_not_called()

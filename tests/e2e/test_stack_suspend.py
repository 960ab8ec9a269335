"""``openstack stack suspend/resume --wait`` on the all-in-one.

With templates/sidecar.yaml, suspend must really freeze the capsule:
Docker's own state of each app container (``docker inspect``
State.Paused) says paused, the engine says Paused; resume thaws the same
processes (StartedAt unchanged), the capsule is Running again and its
containers talk again. A suspended stack can be deleted.
"""

from tests.e2e import base

# Two containers talking over the capsule's localhost.
TEMPLATE = 'sidecar.yaml'
RESOURCE = 'pair'


class StackSuspendResumeTest(base.HeatCapsuleTest):

    def app_states(self, capsule_uuid):
        states = {}
        for container in self.docker_objects(capsule_uuid, role='app'):
            container.reload()
            states[container.name] = container.attrs['State']
        self.assertEqual(2, len(states), states)
        return states

    def stack_action(self, action, ident):
        _, rows, _ = self.openstack('stack', action, ident.split('/')[0],
                                    '--wait')
        self.assertEqual(1, len(rows), rows)
        return rows[0]['Stack Status']

    def test_suspend_freezes_and_resume_thaws_every_container(self):
        ident = self.stack_create(base.read_template(TEMPLATE))
        capsule_uuid = self.get_physical_resource_id(ident, RESOURCE)
        before = self.app_states(capsule_uuid)
        self.assertFalse(any(s['Paused'] for s in before.values()))

        self.assertEqual('SUSPEND_COMPLETE',
                         self.stack_action('suspend', ident))
        for name, state in self.app_states(capsule_uuid).items():
            self.assertTrue(state['Paused'], (name, state))
            self.assertEqual('paused', state['Status'], name)
        self.assertEqual('Paused', self.zun.capsules.get(capsule_uuid).status)
        self.assertEqual('Paused', self.stack_outputs(ident)['status'])

        self.assertEqual('RESUME_COMPLETE',
                         self.stack_action('resume', ident))
        for name, state in self.app_states(capsule_uuid).items():
            self.assertFalse(state['Paused'], (name, state))
            self.assertTrue(state['Running'], (name, state))
            self.assertEqual(before[name]['StartedAt'], state['StartedAt'],
                             '%s was restarted, not thawed' % name)
        self.assertEqual('Running',
                         self.zun.capsules.get(capsule_uuid).status)
        # Thawed for real: the poller fetches the app's page again (a
        # fresh /tmp/last, checked from inside the capsule).
        self.exec_in(capsule_uuid, 'poller', 'rm', '-f', '/tmp/last')
        base.wait_for(lambda: self.exec_in(
            capsule_uuid, 'poller', 'cat', '/tmp/last')[0] == 0,
            what='the poller reaching the app after resume')

        # Suspended again, the stack still deletes cleanly.
        self.assertEqual('SUSPEND_COMPLETE',
                         self.stack_action('suspend', ident))
        self._stack_delete(ident.split('/')[0])
        self.assert_capsule_gone(capsule_uuid)

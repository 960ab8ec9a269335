"""``openstack stack suspend/resume --wait`` on the all-in-one.

Suspend must really freeze the capsule: Docker's own state of each app
container (``docker inspect`` State.Paused) says paused, the engine says
Paused; resume thaws the same processes (StartedAt unchanged) and the
capsule is Running again. A suspended stack can be deleted.
"""

from tests.e2e import base

TEMPLATE = '''
heat_template_version: 2021-04-16
description: Two busy containers to suspend and resume.
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - name: ticker
          image: busybox
          command: [sh, -c, "while true; do date; sleep 0.2; done"]
        - name: idle
          image: busybox
          command: [sleep, "3600"]
outputs:
  status:
    value: {get_attr: [capsule, status]}
'''


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
        ident = self.stack_create(TEMPLATE)
        capsule_uuid = self.get_physical_resource_id(ident, 'capsule')
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

        # Suspended again, the stack still deletes cleanly.
        self.assertEqual('SUSPEND_COMPLETE',
                         self.stack_action('suspend', ident))
        self._stack_delete(ident.split('/')[0])
        self.assert_capsule_gone(capsule_uuid)

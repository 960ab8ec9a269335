"""The real ``openstack`` CLI against the all-in-one.

A full round of a stack (``stack create --wait``, ``stack output show``,
``stack delete --wait``), ``openstack capsule list`` reaching the engine
through the Keystone catalog, ``orchestration resource type show`` listing
the resource's properties, and a failing template whose engine-side reason
shows in ``openstack stack show``. Each CLI call costs about 2 s of start-up,
so these tests are few and do a lot each.
"""

from tests.e2e import base

FAILING_TEMPLATE = '''
heat_template_version: 2021-04-16
description: An init container that fails; the capsule goes to Error.
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      init_containers:
        - name: check-config
          image: busybox
          command: [sh, -c, "echo 'DATABASE_URL is not set' >&2; exit 3"]
      containers:
        - image: busybox
          command: [sh, -c, "while true; do sleep 3600; done"]
'''


class OpenstackCliTest(base.HeatCapsuleTest):

    def test_stack_round_trip_and_capsule_list(self):
        name = self._stack_rand_name()
        self.addCleanup(self._stack_delete, name)
        _, stack, _ = self.openstack(
            'stack', 'create', '--wait', '-t',
            base.TEMPLATES_DIR + '/minimal.yaml', name)
        self.assertEqual('CREATE_COMPLETE', stack['stack_status'])

        _, status, _ = self.openstack('stack', 'output', 'show', name,
                                      'status')
        self.assertEqual('Running', status['output_value'])
        _, outputs, _ = self.openstack('stack', 'output', 'show', name,
                                       '--all')
        self.assertEqual({'addresses', 'status'}, set(outputs))

        # The capsule, found by `openstack capsule list` through the
        # catalog's "container" endpoint: the engine.
        capsule_id = self.get_physical_resource_id(name, 'capsule')
        _, capsules, _ = self.openstack('capsule', 'list')
        listed = {c['uuid']: c for c in capsules}
        self.assertIn(capsule_id, listed)
        self.assertEqual('Running', listed[capsule_id]['status'])

        code, deleted, err = self.openstack(
            'stack', 'delete', '--yes', '--wait', name, parse_json=False)
        self.assertEqual(0, code, err)
        code, _, err = self.openstack('stack', 'show', name, check=False)
        self.assertNotEqual(0, code)
        self.assertIn('not found', err.lower())
        self.assert_capsule_gone(capsule_id)

    def test_resource_type_show_lists_the_properties(self):
        _, shown, _ = self.openstack('orchestration', 'resource', 'type',
                                     'show', 'OS::Zun::Capsule')
        self.assertEqual('OS::Zun::Capsule', shown['resource_type'])
        self.assertEqual(
            {'name', 'labels', 'annotations', 'restart_policy',
             'availability_zone', 'containers', 'init_containers',
             'volumes', 'created_when', 'termination_grace_period'},
            set(shown['properties']))
        self.assertEqual(['started', 'healthy'],
                         shown['properties']['created_when']['constraints'][
                             0]['allowed_values'])
        self.assertTrue(shown['properties']['containers']['required'])
        self.assertEqual(
            ['Always', 'OnFailure', 'Never'],
            shown['properties']['restart_policy']['constraints'][0][
                'allowed_values'])
        for attribute in ('addresses', 'status', 'status_reason',
                          'containers', 'init_containers', 'cpu', 'memory',
                          'logs'):
            self.assertIn(attribute, shown['attributes'])
        # And the type is listed, the way Heat decides availability: the
        # "container" service is in the catalog.
        _, types, _ = self.openstack('orchestration', 'resource', 'type',
                                     'list', '--filter',
                                     'name=OS::Zun::Capsule')
        self.assertIn('OS::Zun::Capsule',
                      [t['Resource Type'] for t in types])

    def test_failing_template_shows_the_engine_reason(self):
        ident = self.stack_create(FAILING_TEMPLATE,
                                  expected_status='CREATE_FAILED')
        capsule_id = self.get_physical_resource_id(ident, 'capsule')
        _, stack, _ = self.openstack('stack', 'show', ident)
        self.assertEqual('CREATE_FAILED', stack['stack_status'])
        reason = stack['stack_status_reason']
        # The engine's own words: which init container, its exit code and
        # what it printed.
        self.assertIn('Init container check-config exited with code 3',
                      reason)
        self.assertIn('DATABASE_URL is not set', reason)
        capsule = self.zun.capsules.get(capsule_id)
        self.assertEqual('Error', capsule.status)
        self.assertIn('check-config', capsule.status_reason)
        # No app container was started.
        apps = self.docker_objects(capsule_id, role='app')
        self.assertEqual([], [c for c in apps if c.status == 'running'])
        self._stack_delete(ident)
        self.assert_capsule_gone(capsule_id)

"""Stack updates, and the engine as a Keystone-protected catalog service."""

import requests

from tests.e2e import base

UPDATABLE_TEMPLATE = '''
heat_template_version: 2021-04-16
description: One capsule whose container command comes from a parameter.
parameters:
  greeting:
    type: string
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - name: greeter
          image: busybox
          command: [sh, -c, "echo $0; while true; do sleep 3600; done"]
          args: [{get_param: greeting}]
outputs:
  name:
    value: {get_attr: [capsule, name]}
  status:
    value: {get_attr: [capsule, status]}
'''


class StackUpdateTest(base.HeatCapsuleTest):

    def test_changing_a_container_replaces_the_capsule(self):
        ident = self.stack_create(UPDATABLE_TEMPLATE,
                                  parameters={'greeting': 'first'})
        old_id = self.get_physical_resource_id(ident, 'capsule')
        self.assertEqual(
            ['sh', '-c', 'echo $0; while true; do sleep 3600; done',
             'first'],
            self.container(old_id, 'greeter').attrs['Config']['Cmd'])

        self.update_stack(ident, UPDATABLE_TEMPLATE,
                          parameters={'greeting': 'second'})

        new_id = self.get_physical_resource_id(ident, 'capsule')
        self.assertNotEqual(old_id, new_id, 'a new capsule replaced it')
        self.assertEqual('Running', self.zun.capsules.get(new_id).status)
        self.assertEqual('Running', self.stack_outputs(ident)['status'])
        self.assertEqual(
            'second',
            self.container(new_id, 'greeter').attrs['Config']['Cmd'][-1])
        # The old capsule is gone, from the engine and from Docker.
        self.assert_capsule_gone(old_id)
        # Heat's record agrees: the replaced resource was deleted.
        events = self.client.events.list(ident, resource_name='capsule')
        self.assertIn('UPDATE_COMPLETE',
                      [e.resource_status for e in events])


class CatalogAndAuthTest(base.HeatCapsuleTest):

    def test_the_catalog_points_at_the_engine(self):
        url = self.session.get_endpoint(service_type='container',
                                        interface='public',
                                        region_name=self.region)
        self.assertEqual(base.ENGINE_URL.rstrip('/'), url.rstrip('/'))
        heat = self.session.get_endpoint(service_type='orchestration',
                                         interface='public',
                                         region_name=self.region)
        self.assertIn('/v1/', heat)

    def test_the_engine_requires_a_keystone_token(self):
        url = self.session.get_endpoint(service_type='container',
                                        interface='public')
        capsules = url.rstrip('/') + '/capsules'
        self.assertEqual(401, requests.get(capsules, timeout=30).status_code)
        self.assertEqual(401, requests.get(
            capsules, timeout=30,
            headers={'X-Auth-Token': 'not-a-token'}).status_code)
        token = self.session.get_token()
        response = requests.get(capsules, timeout=30,
                                headers={'X-Auth-Token': token})
        self.assertEqual(200, response.status_code)
        self.assertIn('capsules', response.json())

    def test_projects_are_separated_and_admin_sees_all(self):
        ident = self.stack_create(base.read_template('minimal.yaml'))
        capsule_id = self.get_physical_resource_id(ident, 'capsule')
        # demo lists its own capsule; all_projects is for admins only.
        self.assertIn(capsule_id,
                      [c.uuid for c in self.zun.capsules.list()])
        _, _, err = self.openstack('capsule', 'list', '--all-projects',
                                   check=False)
        self.assertIn('403', err)
        _, listed, _ = self.openstack('capsule', 'list', '--all-projects',
                                      cloud=base.ADMIN_CLOUD)
        self.assertIn(capsule_id, [c['uuid'] for c in listed])
        # admin's own project has no such capsule.
        _, own, _ = self.openstack('capsule', 'list',
                                   cloud=base.ADMIN_CLOUD)
        self.assertNotIn(capsule_id, [c['uuid'] for c in own])

"""Kept volumes on the all-in-one: a stack's volume outlives the stack and is
found and deleted through the engine's volumes API, with real Keystone
tokens (the demo project's, and the admin's for all_projects)."""

import requests

from tests.e2e import base

KEEP = '''
heat_template_version: 2021-04-16
description: A capsule whose volume is kept after the stack is deleted.
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - name: writer
          image: busybox
          command: [sh, -c, "echo kept > /data/file; sleep 3600"]
          volume_mounts: [{name: data, mount_path: /data}]
      volumes:
        - {name: data, size: 1}
outputs:
  volumes:
    value: {get_attr: [capsule, volumes]}
'''


class KeptVolumeTest(base.HeatCapsuleTest):

    def _volumes_api(self, method, path='', session=None, **params):
        session = session or self.session
        return requests.request(
            method, base.ENGINE_URL + '/volumes' + path, params=params,
            headers={'X-Auth-Token': session.get_token()}, timeout=30)

    def test_a_kept_volume_is_listed_and_deleted_after_its_stack(self):
        ident = self.stack_create(KEEP)
        capsule_id = self.get_physical_resource_id(ident, 'capsule')
        [volume] = self.stack_outputs(ident)['volumes']
        self.assertEqual(('data', 1, False), (volume['name'], volume['size'],
                                              volume['auto_remove']))
        volume_id = volume['id']
        # Cleanups run last-in first: the stack goes first, then the volume.
        self.addCleanup(self._volumes_api, 'DELETE', '/' + volume_id)
        self.addCleanup(self._stack_delete, ident)
        shown = self._volumes_api('GET', '/' + volume_id).json()
        self.assertEqual(capsule_id, shown['capsule_uuid'])
        self.assertEqual(409, self._volumes_api('DELETE',
                                                '/' + volume_id).status_code)

        self._stack_delete(ident)
        self.assert_capsule_gone(capsule_id)
        listed = {v['uuid']: v for v in
                  self._volumes_api('GET').json()['volumes']}
        self.assertIsNone(listed[volume_id]['capsule_uuid'])
        docker_name = 'hc-vol-' + volume_id
        self.assertIn(docker_name,
                      [v.name for v in self.docker.volumes.list()])

        # The admin's own project does not have it; all_projects shows it.
        admin = base.keystone_session(base.ADMIN_CLOUD)
        own = self._volumes_api('GET', session=admin).json()['volumes']
        self.assertNotIn(volume_id, [v['uuid'] for v in own])
        every = self._volumes_api('GET', session=admin,
                                  all_projects=1).json()['volumes']
        self.assertIn(volume_id, [v['uuid'] for v in every])

        self.assertEqual(204, self._volumes_api('DELETE',
                                                '/' + volume_id).status_code)
        self.assertEqual(404, self._volumes_api('GET',
                                                '/' + volume_id).status_code)
        self.assertNotIn(docker_name,
                         [v.name for v in self.docker.volumes.list()])

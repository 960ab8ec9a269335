"""Tenant isolation on the all-in-one: Keystone projects get their own Docker
networks, and every container runs with least privilege.

Read from Docker's configuration only (network membership and labels,
HostConfig), never by traffic to a container's address.
"""

import time

from zunclient import client as zun_client

from tests.e2e import base

LABEL_NETWORK = 'io.heat-capsule.network'
LABEL_PROJECT = 'io.heat-capsule.project'
ADMIN_TEMPLATE = {
    'kind': 'capsule', 'metadata': {'name': 'e2e-isolation-admin'},
    'spec': {'containers': [{'name': 'main', 'image': 'busybox',
                             'command': ['sleep', '3600']}]}}


class ProjectIsolationTest(base.HeatCapsuleTest):

    def _admin_capsule(self):
        session = base.keystone_session(base.ADMIN_CLOUD)
        zun = zun_client.Client(
            base.ZUN_MICROVERSION, session=session, service_type='container',
            interface='public', region_name=self.region)
        capsule = zun.capsules.create(template=ADMIN_TEMPLATE)
        self.addCleanup(zun.capsules.delete, capsule.uuid)
        deadline = time.monotonic() + base.BUILD_TIMEOUT
        while zun.capsules.get(capsule.uuid).status != 'Running':
            self.assertLess(time.monotonic(), deadline, 'admin capsule')
            time.sleep(base.BUILD_INTERVAL)
        return zun.capsules.get(capsule.uuid), session.get_project_id()

    def _network(self, capsule_uuid):
        sandbox = self.sandbox(capsule_uuid)
        sandbox.reload()
        attached = sandbox.attrs['NetworkSettings']['Networks']
        self.assertEqual(1, len(attached), attached)
        network_id = list(attached.values())[0]['NetworkID']
        return self.docker.api.inspect_network(network_id)

    def test_projects_do_not_share_a_network(self):
        ident = self.stack_create(base.read_template('minimal.yaml'))
        demo_uuid = self.get_physical_resource_id(ident, 'capsule')
        admin, admin_project = self._admin_capsule()

        demo_net = self._network(demo_uuid)
        admin_net = self._network(admin.uuid)
        self.assertNotEqual(demo_net['Id'], admin_net['Id'])
        self.assertEqual(self.session.get_project_id(),
                         demo_net['Labels'][LABEL_PROJECT])
        self.assertEqual(admin_project, admin_net['Labels'][LABEL_PROJECT])
        for network in (demo_net, admin_net):
            self.assertEqual('project', network['Labels'][LABEL_NETWORK])
            self.assertEqual(base.ENGINE_INSTANCE,
                             network['Labels'][base.LABEL_ENGINE])
        self.assertIn(self.sandbox(demo_uuid).id, demo_net['Containers'])
        self.assertNotIn(self.sandbox(admin.uuid).id, demo_net['Containers'])
        # Addresses are keyed by the project network's id.
        self.assertEqual([demo_net['Id']],
                         list(self.zun.capsules.get(demo_uuid).addresses))

    def test_containers_run_with_least_privilege(self):
        ident = self.stack_create(base.read_template('webserver.yaml'))
        capsule_uuid = self.get_physical_resource_id(ident, 'web')
        for container in self.docker_objects(capsule_uuid):
            host = container.attrs['HostConfig']
            self.assertEqual(['ALL'], host['CapDrop'], container.name)
            self.assertNotIn('NET_RAW', host['CapAdd'] or [])
            self.assertIn('no-new-privileges:true', host['SecurityOpt'])

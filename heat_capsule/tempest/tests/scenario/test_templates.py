"""Each HOT example in templates/ to CREATE_COMPLETE, outputs checked.

One test per template (``test_<name>``; ``test_every_template_has_a_test``
keeps it so), three to a class: ``tempest run --concurrency N`` spreads
the classes over its workers (most of a test's time is spent waiting, e.g.
for a container that ignores SIGTERM to be stopped), and each class costs
a project and a user (dynamic credentials) more. Each creates
the stack through Heat, checks its outputs against what the template
promises, checks some against the capsule service, deletes the stack and
waits until the capsule is gone from the service. Examples that need an
extension of heat-capsule-engine skip on a service that does not
advertise it.
"""

import ipaddress

from tempest.lib import decorators
import testtools

from heat_capsule.heat import features
from heat_capsule.tempest import base
from heat_capsule.tempest import templates


def _ips(addresses):
    """Every ``addr`` of an ``addresses`` attribute (network: [ports])."""
    return [port['addr'] for ports in (addresses or {}).values()
            for port in ports]


class EveryTemplateHasATestTest(testtools.TestCase):
    """Needs no cloud: the examples on disk against this module."""

    @decorators.idempotent_id('47c357fb-d156-4808-8dbe-df418ad3abaf')
    def test_every_template_has_a_test(self):
        tests = {name for cls in globals().values() if isinstance(cls, type)
                 for name in vars(cls) if name.startswith('test_')}
        missing = [name for name in templates.names()
                   if 'test_%s' % name not in tests]
        self.assertEqual([], missing, 'templates without a tempest test')


class BasicTemplatesTest(base.CapsuleStackTest):
    """minimal, parameters, resources: one project, one stack at a time."""

    @decorators.idempotent_id('8a11ee3c-08dc-4c65-b253-1e4c204d4479')
    def test_minimal(self):
        ident, uuid, outputs = self.create_template('minimal', 'capsule')
        self.assertEqual('Running', outputs['status'])
        ips = _ips(outputs['addresses'])
        self.assertEqual(1, len(ips), outputs['addresses'])
        ipaddress.ip_address(ips[0])
        capsule = self.capsules.show_capsule(uuid)
        self.assertEqual('Running', capsule['status'])
        self.assertEqual(outputs['addresses'], capsule['addresses'])
        self.delete_and_check_gone(ident, uuid)

    @decorators.idempotent_id('fcc27089-43db-4aa7-b649-104287cd77e0')
    def test_parameters(self):
        ident, uuid, outputs = self.create_template(
            'parameters', 'capsule', parameters={
                'capsule_name': 'tempest-greeter', 'memory_mib': 48,
                'restart_policy': 'Never', 'greeting': 'hi there'})
        self.assertEqual('tempest-greeter', outputs['name'])
        self.assertEqual(48, outputs['memory'])
        self.assertEqual('Running', outputs['status'])
        capsule = self.capsules.show_capsule(uuid)
        self.assertEqual('tempest-greeter', capsule['name'])
        # Zun shows Docker's name of the policy.
        self.assertEqual('no', capsule['restart_policy']['Name'])
        self.delete_and_check_gone(ident, uuid)

    @decorators.idempotent_id('83eddb31-ae4f-4084-a6c3-a84b446343e0')
    def test_resources(self):
        ident, uuid, outputs = self.create_template('resources', 'capsule')
        self.assertEqual('Running', outputs['status'])
        self.assertEqual(0.75, outputs['cpu'])
        self.assertEqual(96, outputs['memory'])
        self.assertEqual({'app': 'resources-example', 'tier': 'backend'},
                         outputs['labels'])
        capsule = self.capsules.show_capsule(uuid)
        self.assertEqual(0.75, capsule['cpu'])
        self.assertEqual('96', str(capsule['memory']).rstrip('M'))
        self.delete_and_check_gone(ident, uuid)


class MultiContainerTemplatesTest(base.CapsuleStackTest):
    """sidecar, yaql, job."""

    @decorators.idempotent_id('84b05ba5-e3a4-4f1d-91ad-e287bd872f99')
    def test_sidecar(self):
        ident, uuid, outputs = self.create_template(
            'sidecar', 'pair', parameters={'reply': 'pong from tempest'})
        self.assertEqual('Running', outputs['status'])
        self.assertEqual(['app', 'poller'], sorted(
            c.get('template_name') or c['name']
            for c in outputs['containers']))
        self.assertEqual(['Running', 'Running'],
                         [c['status'] for c in outputs['containers']])
        self.delete_and_check_gone(ident, uuid)

    @decorators.idempotent_id('fd46d702-1bbd-4ca0-8b37-cd07a2063243')
    def test_yaql(self):
        ident, uuid, outputs = self.create_template('yaql', 'capsule')
        capsule = self.capsules.show_capsule(uuid)
        expected = _ips(capsule['addresses'])
        self.assertTrue(expected, capsule['addresses'])
        self.assertEqual(expected, outputs['ips'])
        self.assertEqual(['first', 'second'], outputs['container_names'])
        self.assertIs(True, outputs['all_running'])
        self.delete_and_check_gone(ident, uuid)

    @decorators.idempotent_id('ec389f91-27b6-4734-ac00-7ab0ea22356c')
    def test_job(self):
        ident, uuid, outputs = self.create_template(
            'job', 'job', parameters={'count': 4})
        self.assertEqual('Stopped', outputs['status'])
        # Keyed by container name (a real Zun renames them): all exited 0.
        self.assertTrue(outputs['exit_codes'])
        self.assertEqual({0}, set(outputs['exit_codes'].values()),
                         outputs['exit_codes'])
        self.assertIn('total=10', outputs['result'])
        self.delete_and_check_gone(ident, uuid)


class ServiceTemplatesTest(base.CapsuleStackTest):
    """webserver, readiness, volume."""

    @decorators.idempotent_id('987da275-1a5f-4baa-88dc-b4ece6c47bc5')
    def test_webserver(self):
        ident, uuid, outputs = self.create_template(
            'webserver', 'web', parameters={'message': 'tempest page'})
        self.assertEqual('Running', outputs['status'])
        self.assertEqual('Stopped', outputs['init_status'])
        self.assertEqual(8080, outputs['port'])
        self.assertEqual(1, len(_ips(outputs['addresses'])))
        if features.ENDPOINTS in self.extensions:
            [endpoint] = outputs['endpoints']
            self.assertEqual(('httpd', 8080, 'tcp'), (
                endpoint['container'], endpoint['container_port'],
                endpoint['protocol']))
            self.assertEqual('http://%s:%d/' % (endpoint['host_ip'],
                                                endpoint['host_port']),
                             outputs['url'])
        self.delete_and_check_gone(ident, uuid)

    @decorators.idempotent_id('1af56867-8f68-4e28-949e-f0191898b8eb')
    def test_readiness(self):
        self.require_extension(features.HEALTHCHECK)
        ident, _stack = self.create_stack(templates.read('readiness'),
                                          parameters={'warmup': 1})
        uuids = [self.capsule_id(ident, name) for name in ('web', 'client')]
        outputs = self.orchestration.outputs(ident)
        self.assertEqual({'web': 'healthy'}, outputs['web_health'])
        self.assertEqual('Running', outputs['client_status'])
        self.assertIn('serving on 8080', outputs['web_logs']['web'])
        self.delete_and_check_gone(ident, *uuids)

    @decorators.idempotent_id('da58f89b-9162-4773-8090-d099248801f8')
    def test_volume(self):
        # A kept volume is removed through the engine's volumes API.
        self.require_extension(features.VOLUMES_API)
        ident, uuid, outputs = self.create_template('volume', 'capsule')
        volume_id = outputs['volume_id']
        self.assertTrue(volume_id, outputs)
        self.addCleanup(self.capsules.delete_volume, volume_id)
        self.assertEqual(1, len(outputs['volumes']), outputs['volumes'])
        self.assertFalse(outputs['volumes'][0]['auto_remove'])
        self.delete_and_check_gone(ident, uuid)
        # The kept volume is attached again by a later stack.
        ident, uuid, outputs = self.create_template(
            'volume', 'capsule', parameters={'volume_id': volume_id})
        self.assertEqual(volume_id, outputs['volume_id'])
        self.delete_and_check_gone(ident, uuid)

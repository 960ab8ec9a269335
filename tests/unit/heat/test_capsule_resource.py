"""OS::Zun::Capsule driven through Heat's real resource state machine.

Only the zunclient calls are mocked (``Capsule.client`` returns a Mock that
stands in for ``zunclient.v1.client.Client``); responses are real zunclient
``Capsule`` objects built from a capsule view.
"""

from unittest import mock

from oslo_config import cfg
from zunclient import exceptions as zc_exc
from zunclient.v1 import capsules as zun_capsules
from zunclient.v1 import versions as zun_versions

from heat.common import exception
from heat.common import template_format
from heat.engine import clients
from heat.engine import resource
from heat.engine import scheduler
from heat.engine import template as heat_template
from heat.tests import common
from heat.tests import utils

from heat_capsule.heat import capsule
from heat_capsule.heat import client as capsule_client
from heat_capsule.heat import features
from heat_capsule.heat import template as capsule_template

UUID = 'a2ea3cd8-5a3c-4a43-9ab8-7a4b0f1d9c11'
VOLUME_UUID = '6ec29ba3-bf2c-4276-a88e-3670ea5abc80'

FULL_TEMPLATE = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      name: web
      labels: {app: web, tier: 1}
      annotations: {owner: team-a}
      restart_policy: OnFailure
      availability_zone: az1
      init_containers:
        - name: setup
          image: busybox
          command: [sh, -c, "echo hi > /data/index.html"]
          volume_mounts: [{name: data, mount_path: /data}]
      containers:
        - name: nginx
          image: "nginx:1.27"
          command: [nginx]
          args: [-g, "daemon off;"]
          environment: {MODE: prod, WORKERS: 2}
          workdir: /srv
          ports:
            - container_port: 80
            - {container_port: 53, protocol: UDP}
          cpu: 0.5
          memory: 256
          volume_mounts:
            - {name: data, mount_path: /usr/share/nginx/html}
            - {name: scratch, mount_path: /scratch}
          tty: true
          stdin: false
          image_pull_policy: IfNotPresent
        - image: busybox
      volumes:
        - {name: data, size: 1, auto_remove: true}
        - {name: scratch, volume_id: 6ec29ba3-bf2c-4276-a88e-3670ea5abc80}
'''

EXPECTED_TEMPLATE = {
    'kind': 'capsule',
    'metadata': {'name': 'web',
                 'labels': {'app': 'web', 'tier': '1'},
                 'annotations': {'owner': 'team-a'}},
    'availabilityZone': 'az1',
    'spec': {
        'restartPolicy': 'OnFailure',
        'initContainers': [{
            'name': 'setup',
            'image': 'busybox',
            'command': ['sh', '-c', 'echo hi > /data/index.html'],
            'volumeMounts': [{'name': 'data', 'mountPath': '/data'}],
        }],
        'containers': [{
            'name': 'nginx',
            'image': 'nginx:1.27',
            'command': ['nginx'],
            'args': ['-g', 'daemon off;'],
            'env': {'MODE': 'prod', 'WORKERS': '2'},
            'workDir': '/srv',
            'ports': [{'containerPort': 80, 'protocol': 'TCP'},
                      {'containerPort': 53, 'protocol': 'UDP'}],
            'resources': {'requests': {'cpu': 0.5, 'memory': 256}},
            'volumeMounts': [
                {'name': 'data', 'mountPath': '/usr/share/nginx/html'},
                {'name': 'scratch', 'mountPath': '/scratch'}],
            'tty': True,
            'stdin': False,
            'imagePullPolicy': 'IfNotPresent',
        }, {
            'name': 'container-2',
            'image': 'busybox',
        }],
        'volumes': [
            {'name': 'data', 'cinder': {'size': 1, 'autoRemove': True}},
            {'name': 'scratch', 'cinder': {'volumeID': VOLUME_UUID}},
        ],
    },
}

MINIMAL_TEMPLATE = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - image: busybox
'''


def capsule_view(**overrides):
    """A zunclient Capsule as GET /v1/capsules/<id> returns it at 1.40."""
    info = {
        'uuid': UUID,
        'links': [{'href': 'http://zun/v1/capsules/' + UUID,
                   'rel': 'self'}],
        'name': 'web',
        'labels': {'app': 'web', 'tier': '1'},
        'annotations': {'owner': 'team-a'},
        'status': 'Running',
        'status_reason': None,
        'restart_policy': {'Name': 'on-failure', 'MaximumRetryCount': '0'},
        'cpu': 0.5,
        'memory': '256',
        'addresses': {'net-1': [{'addr': '10.0.0.21', 'version': 4,
                                 'port': 'port-1', 'subnet_id': 'sub-1',
                                 'preserve_on_delete': False}]},
        'containers': [{'uuid': 'c-1', 'name': 'nginx', 'image': 'nginx',
                        'status': 'Running', 'uptime': 30.0,
                        'restart_count': 0}],
        'init_containers': [{'uuid': 'c-0', 'name': 'setup',
                             'image': 'busybox', 'status': 'Stopped'}],
        'user_id': 'u', 'project_id': 'p',
        'created_at': '2026-01-01 10:00:00', 'updated_at': None,
    }
    info.update(overrides)
    return zun_capsules.Capsule(None, info, loaded=True)


def engine_version(extensions=features.EXTENSIONS):
    """The CURRENT entry of GET / (zunclient's Version), by default as the
    bundled engine advertises it (every extension); Zun's has no
    extensions key: pass None."""
    info = {'id': 'v1', 'status': 'CURRENT', 'min_version': '1.1',
            'max_version': '1.40',
            'links': [{'href': 'http://zun/v1/', 'rel': 'self'}]}
    if extensions is not None:
        info['extensions'] = list(extensions)
    return zun_versions.Version(None, info, loaded=True)


def not_found():
    return zc_exc.NotFound('Container %s could not be found.' % UUID)


class CapsuleTestCase(common.HeatTestCase):

    template = FULL_TEMPLATE

    def setUp(self):
        super().setUp()
        resource._register_class(capsule.RESOURCE_TYPE, capsule.Capsule)
        self.client = mock.Mock(name='zunclient')
        self.patchobject(capsule.Capsule, 'client',
                         return_value=self.client)
        self.client.capsules.create.return_value = capsule_view(
            status='Creating')
        self.client.capsules.get.return_value = capsule_view()
        # GET /: the bundled engine, with its extensions.
        self.client.versions.list.return_value = [engine_version()]

    def make_stack(self, template=None):
        return utils.parse_stack(
            template_format.parse(template or self.template))

    def make_resource(self, template=None):
        self.stack = self.make_stack(template)
        return self.stack['capsule']

    def create(self, template=None):
        rsrc = self.make_resource(template)
        scheduler.TaskRunner(rsrc.create)()
        self.assertEqual((rsrc.CREATE, rsrc.COMPLETE), rsrc.state)
        return rsrc


class TestRegistration(CapsuleTestCase):

    def test_resource_mapping(self):
        self.assertEqual({'OS::Zun::Capsule': capsule.Capsule},
                         capsule.resource_mapping())

    def test_available_resource_mapping(self):
        self.assertEqual({'OS::Zun::Capsule': capsule.Capsule},
                         capsule.available_resource_mapping())

    def test_not_offered_without_zunclient(self):
        self.patchobject(capsule.importutils, 'try_import',
                         return_value=None)
        self.assertEqual({}, capsule.available_resource_mapping())

    def test_not_offered_without_the_client_plugin(self):
        self.patchobject(clients, 'has_client', return_value=False)
        self.assertEqual({}, capsule.available_resource_mapping())

    def test_uses_its_own_client_plugin(self):
        rsrc = self.make_resource()
        self.assertEqual('zun_capsule', rsrc.default_client_name)
        self.assertIsInstance(rsrc.client_plugin(),
                              capsule_client.ZunCapsuleClientPlugin)
        self.assertEqual('capsules', rsrc.entity)

    def test_documentation(self):
        doc = capsule.Capsule.getdoc()
        self.assertIn('capsule', doc)
        self.assertIn('replaces', doc)
        for name, schema in capsule.Capsule.properties_schema.items():
            self.assertTrue(schema.description, name)
            self.assertTrue(schema.type, name)
        for name, schema in capsule.Capsule.attributes_schema.items():
            self.assertTrue(schema.description, name)


class TestCreate(CapsuleTestCase):

    def test_create_sends_the_mapped_template(self):
        self.create()
        self.client.capsules.create.assert_called_once_with(
            template=EXPECTED_TEMPLATE)

    def test_create_records_the_id_at_once(self):
        rsrc = self.make_resource()
        rsrc.state_set(rsrc.CREATE, rsrc.IN_PROGRESS)
        token = rsrc.handle_create()
        self.assertEqual(UUID, token)
        self.assertEqual(UUID, rsrc.resource_id)
        self.client.capsules.get.assert_not_called()

    def test_id_is_recorded_even_if_the_capsule_then_fails(self):
        cfg.CONF.set_override('action_retry_limit', 0)
        self.client.capsules.get.return_value = capsule_view(
            status='Error', status_reason='boom')
        rsrc = self.make_resource()
        self.assertRaises(exception.ResourceFailure,
                          scheduler.TaskRunner(rsrc.create))
        self.assertEqual(UUID, rsrc.resource_id)

    def test_waits_through_creating_and_created_until_running(self):
        self.client.capsules.get.side_effect = [
            capsule_view(status='Creating'),
            capsule_view(status='Created'),
            capsule_view(status='Created'),
            capsule_view(status='Running'),
        ]
        rsrc = self.create()
        self.assertEqual(UUID, rsrc.resource_id)
        self.assertEqual([mock.call(UUID)] * 4,
                         self.client.capsules.get.call_args_list)

    def test_error_fails_with_the_status_reason(self):
        cfg.CONF.set_override('action_retry_limit', 0)
        self.client.capsules.get.side_effect = [
            capsule_view(status='Creating'),
            capsule_view(status='Error',
                         status_reason='There are not enough hosts '
                                       'available.'),
        ]
        rsrc = self.make_resource()
        exc = self.assertRaises(exception.ResourceFailure,
                                scheduler.TaskRunner(rsrc.create))
        self.assertEqual((rsrc.CREATE, rsrc.FAILED), rsrc.state)
        self.assertIsInstance(exc.exc, exception.ResourceInError)
        self.assertIn('There are not enough hosts available.', str(exc))
        self.assertIn('Error', str(exc))

    def test_check_create_complete_raises_resource_in_error(self):
        rsrc = self.make_resource()
        self.client.capsules.get.return_value = capsule_view(
            status='Error', status_reason='image pull failed')
        exc = self.assertRaises(exception.ResourceInError,
                                rsrc.check_create_complete, UUID)
        self.assertIn('image pull failed', str(exc))

    def test_every_engine_status_has_a_defined_outcome(self):
        """Never "Unknown status": each status the engine can show waits,
        completes or fails with the service's words."""
        rsrc = self.make_resource()
        expected = {'Creating': False, 'Created': False, 'Running': True}
        for status, done in expected.items():
            self.client.capsules.get.return_value = capsule_view(
                status=status)
            self.assertIs(done, rsrc.check_create_complete(UUID), status)
        for status in ('Deleting', 'Paused', 'Restarting', 'Error',
                       'Unknown'):
            self.client.capsules.get.return_value = capsule_view(
                status=status, status_reason='said %s' % status)
            exc = self.assertRaises(exception.ResourceInError,
                                    rsrc.check_create_complete, UUID)
            self.assertIn('said %s' % status, str(exc))
            self.assertNotIn('Unknown status', str(exc))

    def test_a_finished_job_completes_and_shows_its_exit_codes(self):
        job = capsule_view(status='Stopped', status_reason='nginx exited '
                           'with code 0', containers=[{
                               'uuid': 'c-1', 'name': 'nginx',
                               'status': 'Stopped', 'exit_code': 0,
                               'restart_count': 0}])
        self.client.capsules.get.return_value = job
        rsrc = self.create()     # restart_policy OnFailure
        self.assertEqual({'setup': None, 'nginx': 0},
                         rsrc.FnGetAtt('exit_codes'))

    def test_a_failed_exit_fails_with_the_code_and_the_last_lines(self):
        cfg.CONF.set_override('action_retry_limit', 0)
        self.client.capsules.get.return_value = capsule_view(
            status='Error', status_reason='nginx exited with code 1',
            containers=[{'uuid': 'c-1', 'name': 'nginx', 'status': 'Stopped',
                         'exit_code': 1, 'restart_count': 0}])
        self.client.containers.logs.return_value = 'no config\n'
        rsrc = self.make_resource()
        exc = self.assertRaises(exception.ResourceFailure,
                                scheduler.TaskRunner(rsrc.create))
        self.assertEqual((rsrc.CREATE, rsrc.FAILED), rsrc.state)
        self.assertIn('container nginx exited with code 1 (restart policy '
                      'OnFailure restarts it); last log lines of nginx:\n'
                      'no config', str(exc))
        self.client.containers.logs.assert_called_once_with(
            'c-1', stdout=True, stderr=True, tail=10, timestamps=False,
            since=None)

    def test_default_name_comes_from_stack_and_resource(self):
        rsrc = self.create(MINIMAL_TEMPLATE)
        sent = self.client.capsules.create.call_args.kwargs['template']
        self.assertEqual(rsrc.physical_resource_name(),
                         sent['metadata']['name'])
        self.assertTrue(sent['metadata']['name'].startswith(
            self.stack.name + '-capsule-'))

    def test_minimal_template_sent(self):
        self.create(MINIMAL_TEMPLATE)
        sent = self.client.capsules.create.call_args.kwargs['template']
        self.assertEqual(
            {'kind': 'capsule',
             'spec': {'restartPolicy': 'Always',
                      'containers': [{'name': 'container-1',
                                      'image': 'busybox'}]}},
            {k: v for k, v in sent.items() if k != 'metadata'})
        self.assertEqual(['name'], list(sent['metadata']))


class TestDelete(CapsuleTestCase):

    def test_delete_waits_for_not_found(self):
        rsrc = self.create()
        self.client.capsules.get.reset_mock()
        self.client.capsules.get.side_effect = [
            capsule_view(status='Running'),     # before the DELETE
            capsule_view(status='Running'),
            capsule_view(status='Deleting'),
            not_found(),
        ]
        scheduler.TaskRunner(rsrc.delete)()
        self.assertEqual((rsrc.DELETE, rsrc.COMPLETE), rsrc.state)
        self.client.capsules.delete.assert_called_once_with(UUID)
        self.assertEqual(4, self.client.capsules.get.call_count)

    def test_delete_not_found_on_delete_is_gone(self):
        rsrc = self.create()
        self.client.capsules.delete.side_effect = not_found()
        self.client.capsules.get.reset_mock()
        scheduler.TaskRunner(rsrc.delete)()
        self.assertEqual((rsrc.DELETE, rsrc.COMPLETE), rsrc.state)
        self.assertEqual(1, self.client.capsules.get.call_count)

    def test_delete_already_gone(self):
        rsrc = self.create()
        self.client.capsules.get.side_effect = not_found()
        scheduler.TaskRunner(rsrc.delete)()
        self.assertEqual((rsrc.DELETE, rsrc.COMPLETE), rsrc.state)
        self.client.capsules.delete.assert_not_called()

    def test_delete_never_created(self):
        rsrc = self.make_resource()
        scheduler.TaskRunner(rsrc.delete)()
        self.assertEqual((rsrc.INIT, rsrc.COMPLETE), rsrc.state)
        self.assertEqual([], self.client.mock_calls)

    def test_delete_without_id(self):
        rsrc = self.make_resource()
        self.assertIsNone(rsrc.handle_delete())
        self.assertTrue(rsrc.check_delete_complete(None))
        self.assertEqual([], self.client.mock_calls)

    def test_delete_of_a_failed_capsule_waits_for_not_found(self):
        rsrc = self.create()
        self.client.capsules.get.side_effect = [
            capsule_view(status='Error', status_reason='old failure'),
            capsule_view(status='Error', status_reason='old failure'),
            not_found(),
        ]
        scheduler.TaskRunner(rsrc.delete)()
        self.assertEqual((rsrc.DELETE, rsrc.COMPLETE), rsrc.state)

    def test_delete_that_fails_on_the_service(self):
        rsrc = self.create()
        self.client.capsules.get.side_effect = [
            capsule_view(status='Running'),
            capsule_view(status='Error',
                         status_reason='Volumes cannot be deleted'),
        ]
        exc = self.assertRaises(exception.ResourceFailure,
                                scheduler.TaskRunner(rsrc.delete))
        self.assertEqual((rsrc.DELETE, rsrc.FAILED), rsrc.state)
        self.assertIn('Volumes cannot be deleted', str(exc))

    def test_other_errors_are_not_swallowed(self):
        rsrc = self.create()
        self.client.capsules.delete.side_effect = zc_exc.InternalServerError(
            'kaboom')
        self.assertRaises(exception.ResourceFailure,
                          scheduler.TaskRunner(rsrc.delete))
        self.assertEqual((rsrc.DELETE, rsrc.FAILED), rsrc.state)


class TestCheck(CapsuleTestCase):

    def test_check_running(self):
        rsrc = self.create()
        scheduler.TaskRunner(rsrc.check)()
        self.assertEqual((rsrc.CHECK, rsrc.COMPLETE), rsrc.state)

    def test_check_not_running(self):
        rsrc = self.create()
        self.client.capsules.get.return_value = capsule_view(
            status='Error', status_reason='container exited')
        exc = self.assertRaises(exception.ResourceFailure,
                                scheduler.TaskRunner(rsrc.check))
        self.assertEqual((rsrc.CHECK, rsrc.FAILED), rsrc.state)
        self.assertIn('container exited', str(exc))

    def test_check_gone(self):
        rsrc = self.create()
        self.client.capsules.get.side_effect = not_found()
        self.assertRaises(exception.ResourceFailure,
                          scheduler.TaskRunner(rsrc.check))
        self.assertEqual((rsrc.CHECK, rsrc.FAILED), rsrc.state)


class TestAttributes(CapsuleTestCase):

    def test_attributes_from_the_capsule(self):
        rsrc = self.create()
        view = capsule_view().to_dict()
        for name in ('addresses', 'status', 'cpu', 'name', 'labels',
                     'annotations'):
            self.assertEqual(view[name], rsrc.FnGetAtt(name), name)
        # The service's containers, each with its template's name.
        self.assertEqual([dict(view['containers'][0], template_name='nginx')],
                         rsrc.FnGetAtt('containers'))
        self.assertEqual(
            [dict(view['init_containers'][0], template_name='setup')],
            rsrc.FnGetAtt('init_containers'))
        self.assertEqual(256, rsrc.FnGetAtt('memory'))

    def test_status_reason(self):
        rsrc = self.create()
        self.client.capsules.get.return_value = capsule_view(
            status='Error', status_reason='boom')
        self.assertEqual('boom', rsrc.FnGetAtt('status_reason'))

    def test_unset_values_resolve_empty(self):
        rsrc = self.create()
        self.client.capsules.get.return_value = capsule_view(
            status_reason=None, labels=None, addresses=None,
            annotations=None)
        self.assertEqual('', rsrc.FnGetAtt('status_reason'))
        self.assertEqual({}, rsrc.FnGetAtt('labels'))
        self.assertEqual({}, rsrc.FnGetAtt('addresses'))
        self.assertEqual({}, rsrc.FnGetAtt('annotations'))

    def test_volumes_come_from_the_engines_volumes_call(self):
        rsrc = self.create()
        api = self.client.capsules.api
        api.json_request.return_value = (mock.Mock(), {'volumes': [
            {'name': 'data', 'id': VOLUME_UUID, 'size': 1,
             'auto_remove': False, 'extra': 'dropped'}]})
        self.assertEqual([{'name': 'data', 'id': VOLUME_UUID, 'size': 1,
                           'auto_remove': False}],
                         rsrc.FnGetAtt('volumes'))
        api.json_request.assert_called_with(
            'GET', '/capsules/%s/volumes' % rsrc.resource_id)

    def test_volumes_are_empty_against_a_service_without_the_call(self):
        # Zun has no /capsules/{id}/volumes: a 404 reads as no volumes.
        rsrc = self.create()
        self.client.capsules.api.json_request.side_effect = not_found()
        self.assertEqual([], rsrc.FnGetAtt('volumes'))

    def test_show(self):
        rsrc = self.create()
        self.assertEqual(capsule_view().to_dict(), rsrc.FnGetAtt('show'))

    def test_gone_capsule_resolves_to_empty_values(self):
        rsrc = self.create()
        self.client.capsules.get.side_effect = not_found()
        self.client.http_client.json_request.side_effect = not_found()
        expected = {
            'addresses': {}, 'status': '', 'status_reason': '',
            'containers': [], 'init_containers': [], 'cpu': None,
            'memory': None, 'name': '', 'labels': {}, 'annotations': {},
            'logs': {}, 'show': {}, 'volumes': [],
            'exit_codes': {},
            'endpoints': [],
        }
        self.assertEqual(set(capsule.Capsule.attributes_schema) | {'show'},
                         set(expected))
        for name, value in expected.items():
            self.assertEqual(value, rsrc.FnGetAtt(name), name)

    def test_before_create_attributes_are_empty_without_calls(self):
        rsrc = self.make_resource()
        self.assertEqual('', rsrc._resolve_attribute('status'))
        self.assertEqual({}, rsrc._resolve_any_attribute('show'))
        self.client.capsules.get.assert_not_called()

    def test_endpoints_come_from_the_engine_extension(self):
        rsrc = self.create()
        found = {'container': 'web', 'container_port': 80,
                 'protocol': 'tcp', 'host_ip': '127.0.0.1',
                 'host_port': 32768}
        self.client.http_client.json_request.return_value = (
            None, {'endpoints': [dict(found, extra='x')]})
        self.assertEqual([found], rsrc.FnGetAtt('endpoints'))
        self.client.http_client.json_request.assert_called_with(
            'GET', '/capsules/%s/endpoints' % rsrc.resource_id)
        # Zun has no such path (404) or method (405): an empty list.
        for error in (not_found(), zc_exc.HttpError(http_status=405)):
            self.client.http_client.json_request.side_effect = error
            self.assertEqual([], rsrc.FnGetAtt('endpoints'))
        self.client.http_client.json_request.side_effect = \
            zc_exc.InternalServerError('kaboom')
        self.assertRaises(zc_exc.InternalServerError, rsrc.FnGetAtt,
                          'endpoints')

    def test_other_errors_propagate(self):
        rsrc = self.create()
        self.client.capsules.get.side_effect = zc_exc.InternalServerError(
            'kaboom')
        self.assertRaises(zc_exc.InternalServerError,
                          rsrc.FnGetAtt, 'status')


class TestUpdate(CapsuleTestCase):

    def _all_schemas(self, schemas, prefix=''):
        """Every property schema, nested ones included, by dotted path."""
        for key, schema in (schemas or {}).items():
            path = prefix + key
            yield path, schema
            yield from self._all_schemas(schema.schema, path + '.')

    def test_no_property_allows_update(self):
        schemas = dict(self._all_schemas(capsule.Capsule.properties_schema))
        self.assertIn('containers.*.ports.*.container_port', schemas)
        self.assertIn('volumes.*.auto_remove', schemas)
        for path, schema in schemas.items():
            self.assertFalse(schema.update_allowed, path)

    def _changed(self, change):
        tmpl = template_format.parse(self.template)
        change(tmpl['resources']['capsule']['properties'])
        return heat_template.Template(tmpl).resource_definitions(
            self.stack)['capsule']

    def test_every_property_change_replaces(self):
        changes = {
            'name': lambda p: p.update(name='web2'),
            'labels': lambda p: p.update(labels={'app': 'db'}),
            'annotations': lambda p: p.update(annotations={}),
            'restart_policy': lambda p: p.update(restart_policy='Never'),
            'availability_zone': lambda p: p.update(availability_zone='b'),
            'containers': lambda p: p['containers'][0].update(cpu=1),
            'init_containers': lambda p: p['init_containers'][0].update(
                image='alpine'),
            'volumes': lambda p: p['volumes'][0].update(size=2),
            'created_when': lambda p: (
                p.update(created_when='healthy'),
                p['containers'][0].update(healthcheck={'cmd': 'true'})),
            'termination_grace_period': lambda p: p.update(
                termination_grace_period=0),
        }
        self.assertEqual(set(capsule.Capsule.properties_schema),
                         set(changes))
        rsrc = self.create()
        for name, change in changes.items():
            new_defn = self._changed(change)
            self.assertRaises(resource.UpdateReplace,
                              scheduler.TaskRunner(rsrc.update, new_defn))
        self.client.capsules.create.assert_called_once()

    def test_unchanged_properties_do_nothing(self):
        rsrc = self.create()
        new_defn = self._changed(lambda p: None)
        scheduler.TaskRunner(rsrc.update, new_defn)()
        self.assertEqual((rsrc.CREATE, rsrc.COMPLETE), rsrc.state)
        self.client.capsules.create.assert_called_once()
        self.client.capsules.delete.assert_not_called()


class TestValidate(CapsuleTestCase):
    """Cross-property rules: a bad template fails before anything exists."""

    def assert_invalid(self, change, error=exception.StackValidationFailed,
                       message=None):
        tmpl = template_format.parse(FULL_TEMPLATE)
        change(tmpl['resources']['capsule']['properties'])
        stack = utils.parse_stack(tmpl)
        exc = self.assertRaises(error, stack.validate)
        if message:
            self.assertIn(message, str(exc))
        self.assertEqual([], self.client.mock_calls)
        return exc

    def test_full_template_is_valid(self):
        stack = self.make_stack()
        self.assertIsNone(stack.validate())
        self.assertEqual([], self.client.mock_calls)

    def test_mount_of_an_undeclared_volume(self):
        def change(props):
            props['containers'][0]['volume_mounts'][1]['name'] = 'nope'
            props['volumes'].pop()
        self.assert_invalid(
            change,
            message='resources.capsule.properties.containers[0].'
                    'volume_mounts[1].name: Volume "nope" is not declared')

    def test_init_container_mount_of_an_undeclared_volume(self):
        def change(props):
            props['init_containers'][0]['volume_mounts'][0]['name'] = 'nope'
        self.assert_invalid(
            change,
            message='init_containers[0].volume_mounts[0].name: '
                    'Volume "nope" is not declared')

    def test_volume_with_size_and_volume_id(self):
        self.assert_invalid(
            lambda p: p['volumes'][0].update(volume_id=VOLUME_UUID),
            error=exception.ResourcePropertyConflict,
            message='volumes[0].size, volumes[0].volume_id')

    def test_volume_with_neither_size_nor_volume_id(self):
        self.assert_invalid(
            lambda p: p['volumes'][0].pop('size'),
            error=exception.PropertyUnspecifiedError,
            message='volumes[0].size, volumes[0].volume_id')

    def test_duplicate_container_names(self):
        self.assert_invalid(
            lambda p: p['containers'][1].update(name='nginx'),
            message='containers[1].name: Container name "nginx" is already '
                    'used by containers[0]')

    def test_duplicate_name_across_init_containers(self):
        self.assert_invalid(
            lambda p: p['init_containers'][0].update(name='nginx'),
            message='init_containers[0].name: Container name "nginx" is '
                    'already used by containers[0]')

    def test_duplicate_volume_names(self):
        self.assert_invalid(
            lambda p: p['volumes'][1].update(name='data'),
            message='volumes[1].name: Volume name "data" is declared more '
                    'than once')

    def test_volume_nobody_mounts(self):
        self.assert_invalid(
            lambda p: p['volumes'].append({'name': 'spare', 'size': 1}),
            message='volumes[2].name: Volume "spare" is not mounted')

    def test_label_value_must_be_scalar(self):
        self.assert_invalid(
            lambda p: p['labels'].update(bad={'nested': 1}),
            message='labels.bad: The value must be a string')

    def test_environment_value_must_be_scalar(self):
        self.assert_invalid(
            lambda p: p['containers'][0]['environment'].update(bad=[1]),
            message='containers[0].environment.bad: The value must be')

    def test_at_least_one_container(self):
        self.assert_invalid(lambda p: p.update(containers=[]),
                            message='containers')

    def test_image_required(self):
        self.assert_invalid(lambda p: p['containers'][1].pop('image'),
                            message='image')

    def test_restart_policy_values(self):
        self.assert_invalid(lambda p: p.update(restart_policy='always'),
                            message='restart_policy')

    def test_port_range(self):
        for port in (0, 65536):
            self.assert_invalid(
                lambda p: p['containers'][0]['ports'][0].update(
                    container_port=port),
                message='container_port')

    def test_port_protocol(self):
        self.assert_invalid(
            lambda p: p['containers'][0]['ports'][0].update(protocol='tcp'),
            message='protocol')

    def test_image_pull_policy_values(self):
        self.assert_invalid(
            lambda p: p['containers'][0].update(
                image_pull_policy='ifnotpresent'),
            message='image_pull_policy')

    def test_names_follow_zuns_pattern(self):
        self.assert_invalid(lambda p: p.update(name='-bad name'),
                            message='name')
        self.assert_invalid(
            lambda p: p['containers'][0].update(name='x'), message='name')

    def test_mount_path_is_absolute(self):
        self.assert_invalid(
            lambda p: p['containers'][0]['volume_mounts'][0].update(
                mount_path='data'),
            message='mount_path')

    def test_values_from_resources_not_created_yet_are_not_missing(self):
        # get_attr of a resource that does not exist yet is None while the
        # stack validates; that is "unknown", not "unset".
        tmpl = template_format.parse(FULL_TEMPLATE)
        tmpl['resources']['vol'] = {
            'type': 'ResWithStringPropAndAttr',
            'properties': {'a_string': VOLUME_UUID}}
        props = tmpl['resources']['capsule']['properties']
        props['volumes'][1] = {'name': 'scratch',
                               'volume_id': {'get_attr': ['vol', 'string']}}
        props['containers'][0]['volume_mounts'][0]['name'] = {
            'get_attr': ['vol', 'string']}
        stack = utils.parse_stack(tmpl)
        self.assertIsNone(stack.validate())

    def _conditional_volume(self, new, chosen_new, chosen_old):
        """FULL_TEMPLATE whose 'scratch' volume an ``if`` chooses."""
        tmpl = template_format.parse(FULL_TEMPLATE)
        tmpl['conditions'] = {'new': new}
        props = tmpl['resources']['capsule']['properties']
        props['volumes'][1] = {'if': ['new', chosen_new, chosen_old]}
        return utils.parse_stack(tmpl)

    def test_a_volume_chosen_by_a_condition_is_validated_as_chosen(self):
        # templates/volume.yaml: a new volume, or a kept one by id.
        new = {'name': 'scratch', 'size': 1}
        old = {'name': 'scratch', 'volume_id': VOLUME_UUID}
        for condition in (True, False):
            stack = self._conditional_volume(condition, new, old)
            self.assertIsNone(stack.validate())

    def test_a_conditional_volume_with_both_keys_is_still_refused(self):
        both = {'name': 'scratch', 'size': 1, 'volume_id': VOLUME_UUID}
        stack = self._conditional_volume(True, both, both)
        self.assertRaises(exception.ResourcePropertyConflict, stack.validate)

    def test_validation_runs_before_create(self):
        tmpl = template_format.parse(FULL_TEMPLATE)
        tmpl['resources']['capsule']['properties']['volumes'].pop()
        stack = utils.parse_stack(tmpl)
        self.assertRaises(exception.StackValidationFailed, stack.validate)
        self.client.capsules.create.assert_not_called()


class TestTemplateConstants(CapsuleTestCase):

    def test_resource_reuses_the_template_names(self):
        self.assertEqual(capsule_template.PROPERTIES,
                         capsule.Capsule.PROPERTIES)
        self.assertEqual(set(capsule_template.PROPERTIES),
                         set(capsule.Capsule.properties_schema))
        schema = capsule.Capsule.properties_schema

        def item_keys(name):
            return set(schema[name].schema[0].schema)

        self.assertEqual(set(capsule_template.CONTAINER_KEYS),
                         item_keys('containers'))
        # Init containers run to completion: they have no healthcheck.
        self.assertEqual(item_keys('containers') - {'healthcheck'},
                         item_keys('init_containers'))
        self.assertEqual(set(capsule_template.VOLUME_KEYS),
                         item_keys('volumes'))

    def test_full_template_round_trip_through_heat_properties(self):
        rsrc = self.make_resource()
        self.assertEqual(EXPECTED_TEMPLATE,
                         capsule_template.build_template(
                             rsrc.properties,
                             default_name='ignored'))

"""The zun_capsule client plugin and the zun.capsule custom constraint."""

import configparser
import importlib
import json
import os
from unittest import mock

from oslo_config import cfg
from zunclient import api_versions
from zunclient import exceptions as zc_exc
from zunclient.v1 import capsules as zun_capsules

from heat.common import exception
from heat.common import template_format
from heat.engine import resources
from heat.tests import common
from heat.tests import utils

from heat_capsule.heat import client as capsule_client

UUID = 'a2ea3cd8-5a3c-4a43-9ab8-7a4b0f1d9c11'
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                         '..', '..', '..'))


def http_response(status, body=None):
    """A keystoneauth-like response as zunclient reads it."""
    resp = mock.Mock(status_code=status)
    resp.headers = {'content-type': 'application/json'} if body else {}
    resp.content = json.dumps(body).encode() if body else b''
    resp.json.return_value = body
    return resp


def zun_error(status, title):
    return http_response(status, {'errors': [{
        'request_id': 'req-1', 'code': 'zun.x', 'status': status,
        'title': title, 'detail': title, 'links': []}]})


class ClientPluginTest(common.HeatTestCase):

    def setUp(self):
        super().setUp()
        self.context = utils.dummy_context()
        self.plugin = self.context.clients.client_plugin('zun_capsule')

    def test_registered_under_its_own_name(self):
        self.assertIsInstance(self.plugin,
                              capsule_client.ZunCapsuleClientPlugin)
        heat_zun = self.context.clients.client_plugin('zun')
        self.assertNotIsInstance(heat_zun,
                                 capsule_client.ZunCapsuleClientPlugin)

    def test_service_type_is_container(self):
        self.assertEqual(['container'], self.plugin.service_types)
        zc = self.plugin.client()
        self.assertEqual('container', zc.http_client.service_type)

    def test_microversion_is_1_40(self):
        self.assertEqual('1.40', self.plugin.default_version)
        zc = self.plugin.client()
        self.assertEqual('1.40', zc.api_version.get_string())
        self.assertEqual('1.40', zc.http_client.api_version.get_string())

    def test_no_version_discovery_round_trip(self):
        self.patchobject(api_versions, 'discover_version',
                         side_effect=AssertionError('discovery'))
        self.assertEqual('1.40',
                         self.plugin.client().api_version.get_string())

    def test_other_versions_are_refused(self):
        for version in ('1.12', '1.36', 'latest'):
            self.assertRaises(exception.InvalidServiceVersion,
                              self.plugin.client, version=version)

    def test_client_uses_the_context_session_and_heat_options(self):
        cfg.CONF.set_override('endpoint_type', 'internalURL',
                              group='clients')
        cfg.CONF.set_override('region_name_for_services', 'RegionTwo')
        plugin = utils.dummy_context().clients.client_plugin('zun_capsule')
        zc = plugin.client()
        self.assertIs(plugin.context.keystone_session,
                      zc.http_client.session)
        self.assertEqual('internalURL', zc.http_client.interface)
        self.assertEqual('RegionTwo', zc.http_client.region_name)

    def test_client_is_cached(self):
        self.assertIs(self.plugin.client(), self.plugin.client())

    def test_is_not_found(self):
        self.assertTrue(self.plugin.is_not_found(zc_exc.NotFound()))
        self.assertFalse(self.plugin.is_not_found(zc_exc.Conflict()))
        self.assertFalse(self.plugin.is_not_found(Exception('x')))

    def test_is_conflict_and_over_limit(self):
        self.assertTrue(self.plugin.is_conflict(zc_exc.Conflict()))
        self.assertFalse(self.plugin.is_conflict(zc_exc.NotFound()))
        self.assertTrue(self.plugin.is_over_limit(
            zc_exc.RequestEntityTooLarge()))
        self.assertFalse(self.plugin.is_over_limit(zc_exc.NotFound()))

    def test_ignore_not_found(self):
        with self.plugin.ignore_not_found:
            raise zc_exc.NotFound()
        self.assertRaises(zc_exc.InternalServerError,
                          self.plugin.ignore_not_found,
                          zc_exc.InternalServerError())

    def test_client_exceptions_are_recognised(self):
        self.assertTrue(self.plugin.is_client_exception(zc_exc.NotFound()))
        self.assertFalse(self.plugin.is_client_exception(ValueError()))


class ClientOnTheWireTest(common.HeatTestCase):
    """The plugin's zunclient through to the HTTP session (mocked)."""

    def setUp(self):
        super().setUp()
        self.plugin = utils.dummy_context().clients.client_plugin(
            'zun_capsule')
        self.zc = self.plugin.client()
        self.request = self.patchobject(self.zc.http_client.session,
                                        'request')

    def sent(self):
        (url, method), kwargs = self.request.call_args
        return url, method, kwargs

    def test_show_sends_container_1_40_to_the_container_service(self):
        self.request.return_value = http_response(
            200, {'uuid': UUID, 'status': 'Running'})
        self.assertEqual('Running', self.zc.capsules.get(UUID).status)
        url, method, kwargs = self.sent()
        self.assertEqual(('/capsules/' + UUID, 'GET'), (url, method))
        self.assertEqual('container 1.40',
                         kwargs['headers']['OpenStack-API-Version'])
        self.assertEqual('container',
                         kwargs['endpoint_filter']['service_type'])

    def test_create_posts_the_template(self):
        self.request.return_value = http_response(
            202, {'uuid': UUID, 'status': 'Creating'})
        template = {'kind': 'capsule', 'metadata': {},
                    'spec': {'containers': [{'image': 'busybox'}]}}
        self.assertEqual(UUID,
                         self.zc.capsules.create(template=template).uuid)
        url, method, kwargs = self.sent()
        self.assertEqual(('/capsules/', 'POST'), (url, method))
        self.assertEqual({'template': template}, json.loads(kwargs['data']))

    def test_every_request_carries_the_request_timeout(self):
        self.request.return_value = http_response(
            200, {'uuid': UUID, 'status': 'Running'})
        self.zc.capsules.get(UUID)
        self.assertEqual(60, self.sent()[2]['timeout'])

    def test_request_timeout_is_configurable(self):
        cfg.CONF.set_override('request_timeout', 7,
                              capsule_client.OPT_GROUP)
        zc = self.plugin._create()
        request = self.patchobject(zc.http_client.session, 'request')
        request.return_value = http_response(
            200, {'uuid': UUID, 'status': 'Running'})
        zc.capsules.get(UUID)
        self.assertEqual(7, request.call_args.kwargs['timeout'])

    def test_404_is_not_found(self):
        self.request.return_value = zun_error(
            404, 'Container %s could not be found.' % UUID)
        exc = self.assertRaises(zc_exc.NotFound, self.zc.capsules.get, UUID)
        self.assertTrue(self.plugin.is_not_found(exc))

    def test_409_is_conflict(self):
        self.request.return_value = zun_error(409, 'Multiple containers')
        exc = self.assertRaises(zc_exc.Conflict, self.zc.capsules.get, 'x1')
        self.assertTrue(self.plugin.is_conflict(exc))
        self.assertFalse(self.plugin.is_not_found(exc))


class GetCapsuleTest(common.HeatTestCase):

    def setUp(self):
        super().setUp()
        self.zc = mock.Mock(name='zunclient')
        self.patchobject(capsule_client.ZunCapsuleClientPlugin, 'client',
                         return_value=self.zc)
        self.plugin = utils.dummy_context().clients.client_plugin(
            'zun_capsule')

    def test_found_by_name_or_uuid(self):
        self.zc.capsules.get.return_value = zun_capsules.Capsule(
            None, {'uuid': UUID, 'name': 'web'}, loaded=True)
        self.assertEqual(UUID, self.plugin.get_capsule('web'))
        self.zc.capsules.get.assert_called_once_with('web')

    def test_not_found(self):
        self.zc.capsules.get.side_effect = zc_exc.NotFound()
        exc = self.assertRaises(exception.EntityNotFound,
                                self.plugin.get_capsule, 'web')
        self.assertIn('Capsule', str(exc))
        self.assertIn('web', str(exc))

    def test_empty_answer_is_not_found(self):
        self.zc.capsules.get.return_value = None
        self.assertRaises(exception.EntityNotFound,
                          self.plugin.get_capsule, 'web')


class CapsuleConstraintTest(common.HeatTestCase):

    def setUp(self):
        super().setUp()
        self.zc = mock.Mock(name='zunclient')
        self.patchobject(capsule_client.ZunCapsuleClientPlugin, 'client',
                         return_value=self.zc)
        self.context = utils.dummy_context()
        self.constraint = capsule_client.CapsuleConstraint()

    def test_names_the_plugin_and_getter(self):
        self.assertEqual('zun_capsule',
                         self.constraint.resource_client_name)
        self.assertEqual('get_capsule',
                         self.constraint.resource_getter_name)

    def test_found(self):
        self.zc.capsules.get.return_value = zun_capsules.Capsule(
            None, {'uuid': UUID}, loaded=True)
        self.assertTrue(self.constraint.validate(UUID, self.context))

    def test_not_found(self):
        self.zc.capsules.get.side_effect = zc_exc.NotFound()
        self.assertFalse(self.constraint.validate('gone', self.context))
        self.assertIn('gone', self.constraint.error('gone'))
        self.assertIn('could not be found', self.constraint.error('gone'))

    def test_other_errors_propagate(self):
        self.zc.capsules.get.side_effect = zc_exc.InternalServerError()
        self.assertRaises(zc_exc.InternalServerError,
                          self.constraint.validate, 'x1', self.context)

    def test_as_a_template_parameter_constraint(self):
        self.patchobject(resources.global_env(), 'get_constraint',
                         side_effect=lambda name: {
                             'zun.capsule':
                                 capsule_client.CapsuleConstraint,
                         }.get(name))
        self.zc.capsules.get.side_effect = zc_exc.NotFound()
        tmpl = template_format.parse('''
heat_template_version: 2021-04-16
parameters:
  capsule:
    type: string
    constraints:
      - custom_constraint: zun.capsule
''')
        stack = utils.parse_stack(tmpl, params={'capsule': 'gone'})
        exc = self.assertRaises(exception.StackValidationFailed,
                                stack.validate)
        self.assertIn('gone', str(exc))
        self.zc.capsules.get.assert_called_with('gone')


class EntryPointsTest(common.HeatTestCase):
    """setup.cfg declares the names the code and the notes rely on."""

    def setUp(self):
        super().setUp()
        parser = configparser.ConfigParser()
        parser.read(os.path.join(REPO_ROOT, 'setup.cfg'))
        self.entry_points = parser['entry_points']

    def _entries(self, group):
        entries = {}
        for line in self.entry_points[group].strip().splitlines():
            name, _sep, target = line.partition('=')
            entries[name.strip()] = target.strip()
        return entries

    def _load(self, target):
        module, _sep, attr = target.partition(':')
        return getattr(importlib.import_module(module), attr)

    def test_client_plugin_entry_point(self):
        target = self._entries('heat.clients')['zun_capsule']
        self.assertIs(capsule_client.ZunCapsuleClientPlugin,
                      self._load(target))

    def test_constraint_entry_point(self):
        target = self._entries('heat.constraints')['zun.capsule']
        self.assertIs(capsule_client.CapsuleConstraint, self._load(target))

"""templates/minimal.yaml parses, validates and creates through Heat."""

import os
from unittest import mock

from zunclient.v1 import capsules as zun_capsules

from heat.common import template_format
from heat.engine import resource
from heat.tests import common
from heat.tests import utils

from heat_capsule.heat import capsule

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                         '..', '..', '..'))
MINIMAL = os.path.join(REPO_ROOT, 'templates', 'minimal.yaml')
UUID = '0b7c3c55-1f0e-4c8e-9d39-3c1e8f3c2a10'
ADDRESSES = {'net-1': [{'addr': '10.0.0.5', 'version': 4, 'port': 'p-1',
                        'subnet_id': 's-1', 'preserve_on_delete': False}]}


class MinimalTemplateTest(common.HeatTestCase):

    def setUp(self):
        super().setUp()
        resource._register_class(capsule.RESOURCE_TYPE, capsule.Capsule)
        self.client = mock.Mock(name='zunclient')
        self.patchobject(capsule.Capsule, 'client',
                         return_value=self.client)
        with open(MINIMAL) as f:
            self.text = f.read()
        self.stack = utils.parse_stack(template_format.parse(self.text))

    def test_has_a_header_comment(self):
        self.assertTrue(self.text.startswith('# minimal.yaml: '))

    def test_uses_a_recent_hot_version(self):
        version = template_format.parse(self.text)['heat_template_version']
        self.assertGreaterEqual(str(version), '2021-04-16')

    def test_validates(self):
        self.assertIsNone(self.stack.validate())
        self.assertEqual(['addresses', 'status'], sorted(self.stack.outputs))
        self.assertEqual([], self.client.mock_calls)

    def test_capsule_properties(self):
        props = self.stack['capsule'].properties
        self.assertEqual(
            [{'image': 'busybox',
              'command': ['sh', '-c', 'while true; do sleep 3600; done']}],
            [{k: v for k, v in c.items() if v is not None}
             for c in props['containers']])

    def test_creates_and_outputs_addresses_and_status(self):
        view = zun_capsules.Capsule(
            None, {'uuid': UUID, 'status': 'Running',
                   'addresses': ADDRESSES}, loaded=True)
        self.client.capsules.create.return_value = view
        self.client.capsules.get.return_value = view
        self.stack.create()
        self.assertEqual((self.stack.CREATE, self.stack.COMPLETE),
                         self.stack.state, self.stack.status_reason)
        sent = self.client.capsules.create.call_args.kwargs['template']
        self.assertEqual(
            [{'name': 'container-1', 'image': 'busybox',
              'command': ['sh', '-c', 'while true; do sleep 3600; done']}],
            sent['spec']['containers'])
        # what EngineService.show_stack does before reading outputs
        self.stack._update_all_resource_data(for_resources=False,
                                             for_outputs=True)
        self.assertEqual('Running', self.stack.outputs['status'].get_value())
        self.assertEqual(ADDRESSES,
                         self.stack.outputs['addresses'].get_value())

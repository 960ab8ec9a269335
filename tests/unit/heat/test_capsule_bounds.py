"""OS::Zun::Capsule refuses what Docker refuses, at stack validation.

The rows are the engine's (tests/support/bounds_table.py): each value at the
edge validates, each value just past it fails ``stack.validate()`` naming
the property, and nothing reaches the service. Also: read_only reaches the
template as readOnly.
"""

from unittest import mock

from heat.common import exception
from heat.engine import resource
from heat.tests import common
from heat.tests import utils

from heat_capsule.heat import capsule
from heat_capsule.heat import template as capsule_template
from tests.support import bounds_table

PREFIX = 'resources.capsule.properties.'


def _properties(kind, value):
    """(capsule properties, property path refused) for one table row."""
    c = {'name': 'app', 'image': 'busybox'}
    props = {'containers': [c]}
    base = 'containers[0].'
    if kind == 'memory':
        c['memory'] = value
        return props, base + 'memory'
    if kind == 'cpu':
        c['cpu'] = value
        return props, base + 'cpu'
    if kind == 'port':
        c['ports'] = [{'container_port': value}]
        return props, base + 'ports[0].container_port'
    if kind == 'image':
        c['image'] = value
        return props, base + 'image'
    if kind == 'workdir':
        c['workdir'] = value
        return props, base + 'workdir'
    if kind == 'arg':
        c['args'] = [value]
        return props, base + 'args[0]'
    if kind == 'exec_total':
        c['args'] = list(value)
        return props, 'containers[0]'
    if kind == 'env':
        c['environment'] = dict(value)
        return props, base + 'environment.' + next(iter(value))
    if kind == 'volume_id_pair':
        c['volume_mounts'] = [{'name': 'one', 'mount_path': '/one'},
                              {'name': 'two', 'mount_path': '/two'}]
        props['volumes'] = [{'name': 'one', 'volume_id': value[0]},
                            {'name': 'two', 'volume_id': value[1]}]
        return props, 'volumes[1].volume_id'
    mounts = bounds_table.mounts(kind, value)
    c['volume_mounts'] = [{'name': 'v%d' % i, 'mount_path': path,
                           'read_only': ro}
                          for i, (path, ro) in enumerate(mounts)]
    props['volumes'] = [{'name': 'v%d' % i, 'size': 1}
                        for i in range(len(mounts))]
    return props, base + 'volume_mounts[%d].mount_path' % (len(mounts) - 1)


def _stack(props):
    return utils.parse_stack({
        'heat_template_version': '2021-04-16',
        'resources': {'capsule': {'type': 'OS::Zun::Capsule',
                                  'properties': props}}})


class TestDockerBounds(common.HeatTestCase):

    def setUp(self):
        super().setUp()
        resource._register_class(capsule.RESOURCE_TYPE, capsule.Capsule)
        self.client = mock.Mock(name='zunclient')
        self.patchobject(capsule.Capsule, 'client', return_value=self.client)

    def check_row(self, kind, edge, past, fragment):
        props, _path = _properties(kind, edge)
        self.assertIsNone(_stack(props).validate())
        props, path = _properties(kind, past)
        exc = self.assertRaises(exception.StackValidationFailed,
                                _stack(props).validate)
        self.assertIn(PREFIX + path, str(exc))
        self.assertIn(fragment, str(exc))
        self.assertEqual([], self.client.mock_calls)

    def test_read_only_reaches_the_template(self):
        props, _path = _properties('read_only_nesting',
                                   (('/data', True), ('/logs', False)))
        rsrc = _stack(props)['capsule']
        mounts = capsule_template.build_template(
            rsrc.properties)['spec']['containers'][0]['volumeMounts']
        self.assertEqual([{'name': 'v0', 'mountPath': '/data',
                           'readOnly': True},
                          {'name': 'v1', 'mountPath': '/logs',
                           'readOnly': False}], mounts)

    def test_read_only_unset_is_left_out(self):
        props = {'containers': [{'image': 'busybox', 'volume_mounts': [
            {'name': 'vv', 'mount_path': '/v'}]}],
            'volumes': [{'name': 'vv', 'size': 1}]}
        rsrc = _stack(props)['capsule']
        mounts = capsule_template.build_template(
            rsrc.properties)['spec']['containers'][0]['volumeMounts']
        self.assertEqual([{'name': 'vv', 'mountPath': '/v'}], mounts)

    def test_unresolved_values_are_not_judged(self):
        # A get_attr of a resource not created yet is unknown, not bad.
        tmpl = {
            'heat_template_version': '2021-04-16',
            'resources': {
                'other': {'type': 'ResWithStringPropAndAttr',
                          'properties': {'a_string': '/proc'}},
                'capsule': {'type': 'OS::Zun::Capsule', 'properties': {
                    'containers': [{
                        'image': 'busybox',
                        'workdir': {'get_attr': ['other', 'string']},
                        'volume_mounts': [
                            {'name': 'vv', 'mount_path': '/data'},
                            {'name': 'vv', 'mount_path': {
                                'get_attr': ['other', 'string']}}]}],
                    'volumes': [{'name': 'vv', 'size': 1}]}}}}
        self.assertIsNone(utils.parse_stack(tmpl).validate())


def _row_test(row):
    _id, kind, edge, past, fragment = row

    def test(self):
        self.check_row(kind, edge, past, fragment)
    return test


for _row in bounds_table.TABLE:
    setattr(TestDockerBounds, 'test_bound_' + _row[0].replace('-', '_'),
            _row_test(_row))

"""OS::Zun::Capsule against a real Zun's answers (issue 20).

The service answers here are shaped exactly as zun-api 18.0.0 sends them
(/work/shared/reference/zun-capsule-behaviour.md §5, the api-ref samples):
capsule containers renamed ``capsule-<capsule name>-<greek letter>-<n>``,
``healthcheck: {}``, ``ports`` as a list of ints, restart policies of
strings, and a version document without ``extensions``. As in
test_capsule_resource only zunclient is mocked; Heat's resource state
machine, properties, validation, attributes and outputs are the real ones.
"""

import os

import hypothesis
from hypothesis import strategies as st
from oslo_config import cfg
import yaql
from zunclient import exceptions as zc_exc

from heat.common import exception
from heat.common import template_format
from heat.engine import scheduler
from heat.tests import utils

from heat_capsule.engine import extensions as engine_extensions
from heat_capsule.heat import client as capsule_client
from heat_capsule.heat import features
from heat_capsule.heat import template as capsule_template
from heat_capsule import textutils
from tests.unit.heat import test_capsule_resource as base

TEMPLATES = os.path.join(os.path.dirname(__file__), '..', '..', '..',
                         'templates')

# Two app containers: the one with the healthcheck is the SECOND, so only
# matching by position finds it among Zun's names.
TWO_APPS = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      name: demo
      created_when: %(created_when)s
      annotations: {replicas: 2, owner: team-a}
      init_containers:
        - name: setup
          image: busybox
      containers:
        - name: side
          image: busybox
        - name: web
          image: busybox
          healthcheck:
            cmd: wget -q -O- http://localhost:8080/
'''


def zun_container(name, status='Running', healthcheck=None, **extra):
    """A container inside a capsule as Zun 18 shows it (non-admin)."""
    info = {
        'uuid': 'uuid-' + name, 'name': name, 'image': 'busybox',
        'command': [], 'status': status, 'status_reason': None,
        'task_state': None, 'cpu': 0.0, 'memory': None, 'environment': {},
        'workdir': None, 'ports': [], 'hostname': 'zun-uuid-' + name,
        'labels': {}, 'addresses': {},
        'restart_policy': {'MaximumRetryCount': '10',
                           'Name': 'on-failure'},
        'status_detail': 'Up 5 mins', 'interactive': False, 'tty': False,
        'image_driver': None, 'security_groups': [], 'auto_remove': False,
        'disk': 0, 'auto_heal': False, 'healthcheck': healthcheck or {},
        'cpu_policy': 'shared', 'registry_id': None, 'entrypoint': [],
        'created_at': '2026-11-30 10:00:00', 'updated_at': None,
        'user_id': 'u', 'project_id': 'p'}
    info.update(extra)
    return info


def zun_view(containers=None, init_containers=None, **overrides):
    """GET /v1/capsules/<id> of zun-api 18.0.0 at 1.40, Zun's names."""
    return base.capsule_view(**dict({
        'name': 'demo', 'labels': {},
        'annotations': {'replicas': '2', 'owner': 'team-a'},
        'restart_policy': {'MaximumRetryCount': '0', 'Name': 'always'},
        'cpu': 0.0, 'memory': '0',
        'init_containers': [
            zun_container('capsule-demo-omicron-7', status='Stopped',
                          status_detail='Exited(0) 3 mins ago ')]
        if init_containers is None else init_containers,
        'containers': containers or [
            zun_container('capsule-demo-pi-9'),
            zun_container('capsule-demo-alpha-1')],
    }, **overrides))


class ZunTestCase(base.CapsuleTestCase):
    """A service that advertises no extensions, as a real Zun."""

    template = TWO_APPS % {'created_when': 'started'}

    def setUp(self):
        super().setUp()
        self.client.versions.list.return_value = [
            base.engine_version(extensions=None)]
        self.client.capsules.get.return_value = zun_view()
        # A failed create is not retried (a retry deletes and waits).
        cfg.CONF.set_override('action_retry_limit', 0)


class TestAnnotations(ZunTestCase):

    def test_annotations_are_sent_as_strings(self):
        self.create()
        sent = self.client.capsules.create.call_args.kwargs['template']
        self.assertEqual({'replicas': '2', 'owner': 'team-a'},
                         sent['metadata']['annotations'])

    def test_a_nested_annotation_value_fails_validation(self):
        stack = self.make_stack(
            (TWO_APPS % {'created_when': 'started'}).replace(
                'annotations: {replicas: 2, owner: team-a}',
                'annotations: {build: {id: 7}}'))
        exc = self.assertRaises(exception.StackValidationFailed,
                                stack.validate)
        self.assertIn('annotations.build', str(exc))
        self.assertIn('not a list or a map', str(exc))

    @hypothesis.settings(max_examples=60, deadline=None)
    @hypothesis.given(st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.one_of(st.none(), st.booleans(), st.integers(),
                  st.floats(allow_nan=False), st.text(max_size=20)),
        max_size=6))
    def test_any_scalar_annotations_become_strings(self, notes):
        props = dict.fromkeys(capsule_template.PROPERTIES)
        props.update(containers=[{'image': 'busybox'}], annotations=notes)
        sent = capsule_template.build_template(props)['metadata']
        self.assertEqual(set(notes), set(sent.get('annotations', {})))
        for key, value in sent.get('annotations', {}).items():
            self.assertIsInstance(value, str)
            self.assertEqual('' if notes[key] is None else str(notes[key]),
                             value)


class TestByPosition(ZunTestCase):

    def test_containers_attribute_carries_the_template_names(self):
        rsrc = self.create()
        containers = rsrc.FnGetAtt('containers')
        self.assertEqual(['capsule-demo-pi-9', 'capsule-demo-alpha-1'],
                         [c['name'] for c in containers])
        self.assertEqual(['side', 'web'],
                         [c['template_name'] for c in containers])
        self.assertEqual(['setup'], [c['template_name'] for c in
                                     rsrc.FnGetAtt('init_containers')])

    def test_an_extra_service_container_keeps_its_own_name(self):
        rsrc = self.create()
        self.client.capsules.get.return_value = zun_view(containers=[
            zun_container('capsule-demo-pi-9'),
            zun_container('capsule-demo-alpha-1'),
            zun_container('capsule-demo-beta-3')])
        self.assertEqual(['side', 'web', 'capsule-demo-beta-3'],
                         [c['template_name']
                          for c in rsrc.FnGetAtt('containers')])

    def test_logs_are_keyed_by_the_template_names(self):
        rsrc = self.create()
        self.client.containers.logs.side_effect = ['prepared\n', 'side\n',
                                                   'web\n']
        self.assertEqual({'setup': 'prepared\n', 'side': 'side\n',
                          'web': 'web\n'}, rsrc.FnGetAtt('logs'))
        self.assertEqual(
            ['uuid-capsule-demo-omicron-7', 'uuid-capsule-demo-pi-9',
             'uuid-capsule-demo-alpha-1'],
            [c.args[0] for c in self.client.containers.logs.call_args_list])

    def test_unnamed_template_containers_get_their_generated_names(self):
        rsrc = self.create(base.MINIMAL_TEMPLATE)
        self.client.capsules.get.return_value = zun_view(
            containers=[zun_container('capsule-demo-rho-4')],
            init_containers=[])
        self.client.containers.logs.return_value = 'x'
        self.assertEqual({'container-1': 'x'}, rsrc.FnGetAtt('logs'))

    def test_health_gate_finds_the_checked_container_by_position(self):
        """The engine's health under Zun-style names: the 2nd is checked."""
        self.client.versions.list.return_value = [base.engine_version()]
        check = {'cmd': 'true', 'status': 'unhealthy', 'output': 'refused'}
        self.client.capsules.get.return_value = zun_view(containers=[
            zun_container('capsule-demo-pi-9'),
            zun_container('capsule-demo-alpha-1', healthcheck=check)])
        rsrc = self.make_resource(TWO_APPS % {'created_when': 'healthy'})
        exc = self.assertRaises(exception.ResourceFailure,
                                scheduler.TaskRunner(rsrc.create))
        self.assertIn('container web is unhealthy: refused', str(exc))

    def test_health_gate_completes_when_the_checked_one_is_healthy(self):
        self.client.versions.list.return_value = [base.engine_version()]
        check = {'cmd': 'true', 'status': 'healthy', 'output': ''}
        self.client.capsules.get.return_value = zun_view(containers=[
            zun_container('capsule-demo-pi-9'),
            zun_container('capsule-demo-alpha-1', healthcheck=check)])
        self.create(TWO_APPS % {'created_when': 'healthy'})

    def test_readiness_web_health_output_on_zun_names(self):
        """templates/readiness.yaml's output selects by template_name.

        The output's own yaql expression, evaluated by yaql (as Heat's
        yaql function does) on the attribute the resource resolves.
        """
        with open(os.path.join(TEMPLATES, 'readiness.yaml')) as f:
            parsed = template_format.parse(f.read())
        stack = utils.parse_stack(parsed)
        self.client.versions.list.return_value = [base.engine_version()]
        check = {'cmd': 'wget', 'status': 'healthy', 'output': 'ready'}
        self.client.capsules.get.return_value = zun_view(
            name='web', init_containers=[], containers=[
                zun_container('capsule-web-kappa-12', healthcheck=check)])
        scheduler.TaskRunner(stack['web'].create)()
        output = parsed['outputs']['web_health']['value']['yaql']
        engine = yaql.factory.YaqlFactory().create()
        value = engine(output['expression']).evaluate(
            data={'data': stack['web'].FnGetAtt('containers')},
            context=yaql.create_context())
        self.assertEqual({'web': 'healthy'}, value)


class TestExtensionsDetected(ZunTestCase):

    def test_healthcheck_is_left_out_for_a_service_without_it(self):
        self.create()
        sent = self.client.capsules.create.call_args.kwargs['template']
        self.assertEqual([], [c for c in sent['spec']['containers']
                              if 'healthcheck' in c])

    def test_healthcheck_is_sent_to_the_engine(self):
        self.client.versions.list.return_value = [base.engine_version()]
        self.create()
        sent = self.client.capsules.create.call_args.kwargs['template']
        self.assertEqual({'cmd': 'wget -q -O- http://localhost:8080/'},
                         sent['spec']['containers'][1]['healthcheck'])

    def test_created_when_healthy_fails_at_create_in_one_sentence(self):
        rsrc = self.make_resource(TWO_APPS % {'created_when': 'healthy'})
        exc = self.assertRaises(exception.ResourceFailure,
                                scheduler.TaskRunner(rsrc.create))
        self.assertEqual((rsrc.CREATE, rsrc.FAILED), rsrc.state)
        self.assertIn('created_when "healthy" needs the heat-capsule engine',
                      str(exc))
        self.assertLess(len(rsrc.status_reason), 200)
        self.client.capsules.create.assert_not_called()

    def test_an_unreadable_version_document_counts_as_no_extensions(self):
        self.client.versions.list.side_effect = zc_exc.NotFound('nope')
        self.create()
        sent = self.client.capsules.create.call_args.kwargs['template']
        self.assertNotIn('healthcheck', sent['spec']['containers'][1])

    def test_an_unreachable_service_fails_at_once(self):
        self.client.versions.list.side_effect = zc_exc.ConnectionRefused(
            'refused')
        self.patchobject(capsule_client.ZunCapsuleClientPlugin, 'url_for',
                         return_value='http://127.0.0.1:9517/v1')
        rsrc = self.make_resource()
        exc = self.assertRaises(exception.ResourceFailure,
                                scheduler.TaskRunner(rsrc.create))
        self.assertIn('unreachable', str(exc))
        self.client.capsules.create.assert_not_called()

    def test_advertised_reads_the_current_version(self):
        client = self.client
        client.versions.list.return_value = [
            base.engine_version(extensions=['pause']).to_dict() | {
                'status': 'SUPPORTED'},
            base.engine_version(extensions=['healthcheck', 'volumes'])]
        self.assertEqual({'healthcheck', 'volumes'},
                         features.advertised(client))

    def test_the_engine_advertises_names_the_heat_side_knows(self):
        self.assertEqual(set(engine_extensions.ADVERTISED),
                         set(features.EXTENSIONS))

    def test_spec_extension_keys_are_left_out_without_the_extension(self):
        sent = {'spec': {'containers': [{'image': 'busybox'}],
                         'terminationGracePeriodSeconds': 30}}
        self.assertEqual(['termination_grace_period'],
                         features.adapt(sent, frozenset()))
        self.assertNotIn('terminationGracePeriodSeconds', sent['spec'])

    def test_require_names_what_needs_the_engine(self):
        exc = self.assertRaises(features.Unsupported, features.require,
                                frozenset(), features.PAUSE, 'suspend')
        self.assertEqual('suspend needs the heat-capsule engine (its "pause" '
                         'extension); this container service does not offer '
                         'it.', str(exc))
        features.require({features.PAUSE}, features.PAUSE, 'suspend')


# Zun 18's answer to a healthcheck, cut here to its form: one line with the
# field, then jsonschema's multi-line "Failed validating ... On instance"
# dump of the whole container schema (8,555 characters in issue 20).
SCHEMA_DUMP = ("Invalid input for field 'containers'. Value: [...]. "
               "Additional properties are not allowed ('healthcheck' was "
               "unexpected)\n\nFailed validating 'additionalProperties' in "
               "schema['properties']['spec']:\n" + '    {"type": "object",\n'
               * 400)


class TestReadableReasons(ZunTestCase):

    def test_a_multi_kilobyte_refusal_is_cut(self):
        self.client.capsules.create.side_effect = zc_exc.BadRequest(
            message=SCHEMA_DUMP, request_id='req-1')
        rsrc = self.make_resource()
        exc = self.assertRaises(exception.ResourceFailure,
                                scheduler.TaskRunner(rsrc.create))
        self.assertIsInstance(exc.exc, zc_exc.BadRequest)
        self.assertGreater(len(SCHEMA_DUMP), 8000)
        self.assertLess(len(rsrc.status_reason), 700)
        self.assertIn("'healthcheck' was unexpected", rsrc.status_reason)
        self.assertIn('... (HTTP 400) (Request-ID: req-1)',
                      rsrc.status_reason)

    def test_a_long_status_reason_is_cut(self):
        self.client.capsules.get.return_value = zun_view(
            status='Error', status_reason='x' * 5000)
        rsrc = self.make_resource()
        self.assertRaises(exception.ResourceFailure,
                          scheduler.TaskRunner(rsrc.create))
        self.assertLess(len(rsrc.status_reason), 700)
        self.assertIn('x...', rsrc.status_reason)

    def test_zuns_own_reason_is_kept_whole(self):
        self.client.capsules.create.return_value = zun_view(
            status='Error',
            status_reason='There are not enough hosts available.')
        self.client.capsules.get.return_value = zun_view(
            status='Error',
            status_reason='There are not enough hosts available.')
        rsrc = self.make_resource()
        self.assertRaises(exception.ResourceFailure,
                          scheduler.TaskRunner(rsrc.create))
        self.assertIn('Capsule "capsule" failed: There are not enough hosts '
                      'available.', rsrc.status_reason)

    @hypothesis.settings(max_examples=200, deadline=None)
    @hypothesis.given(st.text(max_size=2000),
                      st.integers(min_value=10, max_value=800))
    def test_shorten_bounds_any_text(self, text, limit):
        cut = features.shorten(text, limit)
        self.assertLessEqual(len(cut), limit)
        if len(text) <= limit:
            self.assertEqual(text, cut)
        else:
            self.assertTrue(cut.endswith(textutils.ELLIPSIS))
            self.assertTrue(text.startswith(cut[:-len(textutils.ELLIPSIS)]))

"""The pure mapping from OS::Zun::Capsule properties to a capsule template.

Each test sets one property (the rest unset, i.e. None, the way Heat's
Properties presents them) and checks the camelCase key it lands on.
"""

import testtools

from heat_capsule import names
from heat_capsule.heat import template


def props(**values):
    """Top-level properties with everything unset except ``values``."""
    result = dict.fromkeys(template.PROPERTIES)
    result[template.CONTAINERS] = [container(image='busybox')]
    result.update(values)
    return result


def container(**values):
    result = dict.fromkeys(template.CONTAINER_KEYS)
    result.update(values)
    return result


def volume(**values):
    result = dict.fromkeys(template.VOLUME_KEYS)
    result.update(values)
    return result


def first_container(**values):
    tmpl = template.build_template(props(containers=[container(**values)]))
    return tmpl['spec']['containers'][0]


class TestMinimal(testtools.TestCase):

    def test_minimal_template(self):
        self.assertEqual(
            {'kind': 'capsule',
             'metadata': {},
             'spec': {'containers': [{'name': 'container-1',
                                      'image': 'busybox'}]}},
            template.build_template(props()))

    def test_missing_keys_mean_unset(self):
        self.assertEqual(
            template.build_template(props()),
            template.build_template({'containers': [{'image': 'busybox'}]}))

    def test_empty_lists_and_maps_are_left_out(self):
        tmpl = template.build_template(props(
            labels={}, annotations={}, init_containers=[], volumes=[],
            containers=[container(image='busybox', command=[], args=[],
                                  environment={}, ports=[],
                                  volume_mounts=[])]))
        self.assertEqual(template.build_template(props()), tmpl)

    def test_does_not_modify_its_input(self):
        given = props(labels={'a': 1})
        before = repr(given)
        template.build_template(given)
        self.assertEqual(before, repr(given))


class TestCapsuleFields(testtools.TestCase):

    def test_name_to_metadata_name(self):
        tmpl = template.build_template(props(name='web'))
        self.assertEqual({'name': 'web'}, tmpl['metadata'])

    def test_default_name_used_when_name_unset(self):
        tmpl = template.build_template(props(), default_name='st-cap-x1')
        self.assertEqual('st-cap-x1', tmpl['metadata']['name'])

    def test_name_wins_over_default_name(self):
        tmpl = template.build_template(props(name='web'),
                                       default_name='st-cap-x1')
        self.assertEqual('web', tmpl['metadata']['name'])

    def test_labels_to_metadata_labels_as_strings(self):
        tmpl = template.build_template(
            props(labels={'app': 'web', 'tier': 1, 'on': True}))
        self.assertEqual({'app': 'web', 'tier': '1', 'on': 'True'},
                         tmpl['metadata']['labels'])

    def test_annotations_to_metadata_annotations_as_strings(self):
        # Issue 20: {replicas: 2} is fine for Zun, a 400 from the engine.
        notes = {'owner': 'team-a', 'replicas': 2, 'debug': True,
                 'ratio': 0.5, 'empty': None}
        tmpl = template.build_template(props(annotations=notes))
        self.assertEqual({'owner': 'team-a', 'replicas': '2',
                          'debug': 'True', 'ratio': '0.5', 'empty': ''},
                         tmpl['metadata']['annotations'])

    def test_restart_policy_to_spec_restart_policy(self):
        for policy in names.RESTART_POLICIES:
            tmpl = template.build_template(props(restart_policy=policy))
            self.assertEqual(policy, tmpl['spec']['restartPolicy'])
            self.assertNotIn('restartPolicy', tmpl)

    def test_availability_zone_to_availability_zone(self):
        tmpl = template.build_template(props(availability_zone='az1'))
        self.assertEqual('az1', tmpl['availabilityZone'])

    def test_kind_is_capsule(self):
        self.assertEqual('capsule',
                         template.build_template(props())['kind'])


class TestContainerFields(testtools.TestCase):

    def test_image(self):
        self.assertEqual('nginx:1.27',
                         first_container(image='nginx:1.27')['image'])

    def test_name_kept(self):
        self.assertEqual('web',
                         first_container(image='x1', name='web')['name'])

    def test_command(self):
        entry = first_container(image='x1', command=['sh', '-c', 'true'])
        self.assertEqual(['sh', '-c', 'true'], entry['command'])
        self.assertNotIn('args', entry)

    def test_args(self):
        entry = first_container(image='x1', args=['-g', 'daemon off;'])
        self.assertEqual(['-g', 'daemon off;'], entry['args'])
        self.assertNotIn('command', entry)

    def test_command_and_args_stay_separate(self):
        entry = first_container(image='x1', command=['nginx'],
                                args=['-g', 'daemon off;'])
        self.assertEqual(['nginx'], entry['command'])
        self.assertEqual(['-g', 'daemon off;'], entry['args'])

    def test_environment_to_env_as_strings(self):
        entry = first_container(
            image='x1', environment={'MODE': 'prod', 'WORKERS': 2,
                                     'DEBUG': False, 'EMPTY': None})
        self.assertEqual({'MODE': 'prod', 'WORKERS': '2',
                          'DEBUG': 'False', 'EMPTY': ''}, entry['env'])
        self.assertNotIn('environment', entry)

    def test_workdir_to_work_dir(self):
        entry = first_container(image='x1', workdir='/srv')
        self.assertEqual('/srv', entry['workDir'])
        self.assertNotIn('workdir', entry)

    def test_ports_container_port_to_container_port(self):
        entry = first_container(image='x1', ports=[
            {'container_port': 80, 'protocol': 'TCP'},
            {'container_port': 53, 'protocol': 'UDP'}])
        self.assertEqual([{'containerPort': 80, 'protocol': 'TCP'},
                          {'containerPort': 53, 'protocol': 'UDP'}],
                         entry['ports'])

    def test_port_protocol_defaults_to_tcp(self):
        entry = first_container(image='x1', ports=[
            {'container_port': 8080, 'protocol': None}])
        self.assertEqual([{'containerPort': 8080, 'protocol': 'TCP'}],
                         entry['ports'])

    def test_host_port_to_host_port_when_set(self):
        entry = first_container(image='x1', ports=[
            {'container_port': 80, 'protocol': 'UDP', 'host_port': 5353},
            {'container_port': 81, 'protocol': 'TCP', 'host_port': None}])
        self.assertEqual([{'containerPort': 80, 'protocol': 'UDP',
                           'hostPort': 5353},
                          {'containerPort': 81, 'protocol': 'TCP'}],
                         entry['ports'])

    def test_cpu_to_resources_requests_cpu(self):
        entry = first_container(image='x1', cpu=0.5)
        self.assertEqual({'requests': {'cpu': 0.5}}, entry['resources'])

    def test_memory_to_resources_requests_memory(self):
        entry = first_container(image='x1', memory=256)
        self.assertEqual({'requests': {'memory': 256}}, entry['resources'])

    def test_cpu_and_memory_together(self):
        entry = first_container(image='x1', cpu=2, memory=1024)
        self.assertEqual({'requests': {'cpu': 2, 'memory': 1024}},
                         entry['resources'])

    def test_no_resources_without_cpu_or_memory(self):
        self.assertNotIn('resources', first_container(image='x1'))

    def test_volume_mounts_to_volume_mounts(self):
        entry = first_container(image='x1', volume_mounts=[
            {'name': 'data', 'mount_path': '/data'}])
        self.assertEqual([{'name': 'data', 'mountPath': '/data'}],
                         entry['volumeMounts'])

    def test_tty(self):
        self.assertIs(True, first_container(image='x1', tty=True)['tty'])
        self.assertIs(False, first_container(image='x1', tty=False)['tty'])
        self.assertNotIn('tty', first_container(image='x1'))

    def test_stdin(self):
        self.assertIs(True, first_container(image='x1', stdin=True)['stdin'])
        self.assertIs(False,
                      first_container(image='x1', stdin=False)['stdin'])
        self.assertNotIn('stdin', first_container(image='x1'))

    def test_image_pull_policy_to_image_pull_policy(self):
        entry = first_container(image='x1', image_pull_policy='IfNotPresent')
        self.assertEqual('IfNotPresent', entry['imagePullPolicy'])

    def test_every_container_key_is_mapped(self):
        entry = first_container(
            name='web', image='x1', command=['a'], args=['b'],
            environment={'K': 'v'}, workdir='/w',
            ports=[{'container_port': 1, 'protocol': 'TCP'}], cpu=1,
            memory=64, volume_mounts=[{'name': 'v1', 'mount_path': '/v'}],
            tty=True, stdin=True, image_pull_policy='Always')
        self.assertEqual(
            {'name', 'image', 'command', 'args', 'env', 'workDir', 'ports',
             'resources', 'volumeMounts', 'tty', 'stdin', 'imagePullPolicy'},
            set(entry))


class TestInitContainers(testtools.TestCase):

    def test_init_containers_to_spec_init_containers(self):
        tmpl = template.build_template(props(init_containers=[
            container(name='setup', image='busybox', command=['true'],
                      workdir='/tmp')]))
        self.assertEqual([{'name': 'setup', 'image': 'busybox',
                           'command': ['true'], 'workDir': '/tmp'}],
                         tmpl['spec']['initContainers'])

    def test_no_init_containers_key_without_init_containers(self):
        self.assertNotIn('initContainers',
                         template.build_template(props())['spec'])


class TestVolumes(testtools.TestCase):

    def build(self, **values):
        tmpl = template.build_template(props(volumes=[volume(**values)]))
        return tmpl['spec']['volumes']

    def test_size_to_cinder_size(self):
        self.assertEqual([{'name': 'data', 'cinder': {'size': 1}}],
                         self.build(name='data', size=1))

    def test_volume_id_to_cinder_volume_id(self):
        vid = '6ec29ba3-bf2c-4276-a88e-3670ea5abc80'
        self.assertEqual([{'name': 'data', 'cinder': {'volumeID': vid}}],
                         self.build(name='data', volume_id=vid))

    def test_auto_remove_to_cinder_auto_remove(self):
        self.assertEqual(
            [{'name': 'data', 'cinder': {'size': 2, 'autoRemove': True}}],
            self.build(name='data', size=2, auto_remove=True))
        self.assertEqual(
            [{'name': 'data', 'cinder': {'size': 2, 'autoRemove': False}}],
            self.build(name='data', size=2, auto_remove=False))

    def test_no_volumes_key_without_volumes(self):
        self.assertNotIn('volumes', template.build_template(props())['spec'])


class TestContainerNames(testtools.TestCase):

    def test_unnamed_containers_get_positional_names(self):
        self.assertEqual(
            (['container-1', 'container-2'], ['init-container-1']),
            names.container_names(
                [{'image': 'a1'}, {'image': 'b1'}], [{'image': 'c1'}]))

    def test_names_are_stable(self):
        given = ([{'image': 'a1'}, {'name': 'x1', 'image': 'b1'}],
                 [{'image': 'c1'}])
        self.assertEqual(names.container_names(*given),
                         names.container_names(*given))

    def test_given_names_are_kept(self):
        self.assertEqual(
            (['web', 'container-2'], []),
            names.container_names(
                [{'name': 'web', 'image': 'a1'}, {'image': 'b1'}], []))

    def test_generated_name_skips_a_name_the_user_chose(self):
        app_names, init_names = names.container_names(
            [{'image': 'a1'}, {'name': 'container-1', 'image': 'b1'}],
            [{'name': 'init-container-1', 'image': 'c1'}, {'image': 'd1'}])
        self.assertEqual(['container-1-2', 'container-1'], app_names)
        self.assertEqual(['init-container-1', 'init-container-2'],
                         init_names)

    def test_generated_names_land_in_the_template(self):
        tmpl = template.build_template(props(
            containers=[container(image='a1'), container(image='b1')],
            init_containers=[container(image='c1')]))
        self.assertEqual(
            ['container-1', 'container-2'],
            [c['name'] for c in tmpl['spec']['containers']])
        self.assertEqual(
            ['init-container-1'],
            [c['name'] for c in tmpl['spec']['initContainers']])


class TestSafeName(testtools.TestCase):

    def test_valid_name_unchanged(self):
        self.assertEqual('st-capsule-abc12',
                         template.safe_name('st-capsule-abc12'))

    def test_invalid_characters_replaced(self):
        self.assertEqual('my-stack-web-server-x1',
                         template.safe_name('my-stack-web server-x1'))
        self.assertEqual('a-b', template.safe_name('a/b'))

    def test_leading_punctuation_dropped(self):
        self.assertEqual('ab', template.safe_name('_-ab'))

    def test_limit(self):
        self.assertEqual('abc', template.safe_name('abcdef', limit=3))

    def test_nothing_usable(self):
        self.assertIsNone(template.safe_name(None))
        self.assertIsNone(template.safe_name('-'))

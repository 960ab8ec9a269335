"""Every template in templates/ reaches CREATE_COMPLETE, outputs checked.

One test per template, named ``test_<file name without .yaml>``;
``test_every_template_has_a_test`` keeps it that way when a template is
added. Each test checks the outputs through Heat, then what they claim
through the engine (python-zunclient) and Docker (read only), then deletes
the stack and checks that the capsule is gone.
"""

import datetime
import glob
import ipaddress
import os
import subprocess

from heatclient import exc as heat_exc
import requests

from tests.e2e import base


def _template_names():
    return sorted(os.path.basename(path)[:-len('.yaml')]
                  for path in glob.glob(os.path.join(base.TEMPLATES_DIR,
                                                     '*.yaml')))


def test_every_template_has_a_test():
    missing = [name for name in _template_names()
               if not hasattr(TemplatesTest, 'test_%s' % name)]
    assert not missing, 'templates without an end-to-end test: %s' % missing


def test_every_template_starts_with_a_header_comment():
    for name in _template_names():
        with open(os.path.join(base.TEMPLATES_DIR, name + '.yaml')) as f:
            first = f.readline()
        assert first.startswith('# %s.yaml: ' % name), name


class TemplatesTest(base.HeatCapsuleTest):

    def _create(self, name, resource, parameters=None):
        """Create a stack of templates/<name>.yaml.

        :returns: its identifier, the capsule's uuid (the physical id of
            ``resource``) and the outputs.
        """
        ident = self.stack_create(base.read_template(name + '.yaml'),
                                  parameters=parameters)
        capsule_id = self.get_physical_resource_id(ident, resource)
        self.assertTrue(capsule_id, 'the capsule resource has an id')
        return ident, capsule_id, self.stack_outputs(ident)

    def _delete_and_check_gone(self, ident, capsule_id):
        self._stack_delete(ident)
        self.assert_capsule_gone(capsule_id)

    def _flat_ips(self, addresses):
        return [port['addr'] for ports in addresses.values()
                for port in ports]

    # -- one test per template ---------------------------------------------

    def test_minimal(self):
        ident, capsule_id, outputs = self._create('minimal', 'capsule')
        self.assertEqual('Running', outputs['status'])
        ips = self._flat_ips(outputs['addresses'])
        self.assertEqual(1, len(ips), outputs['addresses'])
        ipaddress.ip_address(ips[0])
        capsule = self.zun.capsules.get(capsule_id)
        self.assertEqual('Running', capsule.status)
        self.assertEqual(outputs['addresses'], capsule.addresses)
        self._delete_and_check_gone(ident, capsule_id)

    def test_webserver(self):
        message = 'Hello from the e2e test %s' % os.urandom(4).hex()
        ident, capsule_id, outputs = self._create(
            'webserver', 'web', parameters={'message': message})
        self.assertEqual('Running', outputs['status'])
        self.assertEqual('Stopped', outputs['init_status'])
        self.assertEqual(8080, outputs['port'])
        self.assertEqual(1, len(self._flat_ips(outputs['addresses'])))
        # The page the init container wrote, fetched through the port the
        # engine published on 127.0.0.1.
        port = self.published_port(capsule_id, 8080)
        page = base.wait_for(
            lambda: _get('http://127.0.0.1:%d/' % port), what='the page')
        self.assertEqual(message + '\n', page)
        # The url output (yaql over the endpoints attribute) names that
        # port, as "openstack stack output show" gives it, and curl
        # fetches the page there.
        self.assertEqual([{'container': 'httpd', 'container_port': 8080,
                           'protocol': 'tcp', 'host_ip': '127.0.0.1',
                           'host_port': port}], outputs['endpoints'])
        _code, shown, _err = self.openstack(
            'stack', 'output', 'show', ident.split('/')[0], 'url')
        url = shown['output_value']
        self.assertEqual('http://127.0.0.1:%d/' % port, url)
        self.assertEqual(message + '\n', base.wait_for(
            lambda: _curl(url), what='curl ' + url))
        volumes = self.docker_objects(capsule_id, kind='volumes')
        self.assertEqual(1, len(volumes), 'the "site" volume')
        self._delete_and_check_gone(ident, capsule_id)
        # auto_remove: the volume went with the capsule.
        self.assertEqual([], self.docker_objects(capsule_id, kind='volumes'))

    def test_sidecar(self):
        reply = 'pong %s' % os.urandom(4).hex()
        ident, capsule_id, outputs = self._create(
            'sidecar', 'pair', parameters={'reply': reply})
        self.assertEqual('Running', outputs['status'])
        self.assertEqual(['app', 'poller'],
                         [c['name'] for c in outputs['containers']])
        self.assertEqual(['Running', 'Running'],
                         [c['status'] for c in outputs['containers']])

        def polled():
            code, text = self.exec_in(capsule_id, 'poller', 'cat',
                                      '/tmp/last')
            return text if code == 0 else None

        self.assertEqual(reply + '\n',
                         base.wait_for(polled, what='a reply over localhost'))
        # The app listens on the capsule's loopback only; nothing of it is
        # declared, so nothing is published on the host.
        sandbox = self.sandbox(capsule_id)
        self.assertFalse(sandbox.attrs['NetworkSettings']['Ports'])
        self._delete_and_check_gone(ident, capsule_id)

    def test_resources(self):
        ident, capsule_id, outputs = self._create('resources', 'capsule')
        self.assertEqual('Running', outputs['status'])
        self.assertEqual(0.75, outputs['cpu'])
        self.assertEqual(96, outputs['memory'])
        self.assertEqual({'app': 'resources-example', 'tier': 'backend'},
                         outputs['labels'])
        api = self.container(capsule_id, 'api').attrs
        self.assertEqual(500000000, api['HostConfig']['NanoCpus'])
        self.assertEqual(64 * 1024 * 1024, api['HostConfig']['Memory'])
        self.assertEqual('on-failure',
                         api['HostConfig']['RestartPolicy']['Name'])
        self.assertEqual('/tmp', api['Config']['WorkingDir'])
        self.assertIn('APP_MODE=production', api['Config']['Env'])
        self.assertIn('APP_WORKERS=4', api['Config']['Env'])
        worker = self.container(capsule_id, 'worker').attrs
        self.assertEqual(250000000, worker['HostConfig']['NanoCpus'])
        self.assertEqual(32 * 1024 * 1024, worker['HostConfig']['Memory'])
        code, env = self.exec_in(capsule_id, 'api', 'env')
        self.assertEqual(0, code)
        self.assertIn('APP_WORKERS=4', env.splitlines())
        # Both declared ports are published on 127.0.0.1, UDP included.
        self.published_port(capsule_id, 8080, 'tcp')
        self.published_port(capsule_id, 5353, 'udp')
        self._delete_and_check_gone(ident, capsule_id)

    def test_parameters(self):
        name = 'e2e-greeter-%s' % os.urandom(3).hex()
        ident, capsule_id, outputs = self._create(
            'parameters', 'capsule', parameters={
                'capsule_name': name, 'memory_mib': 48,
                'restart_policy': 'Never', 'greeting': 'hi there'})
        self.assertEqual(name, outputs['name'])
        self.assertEqual(48, outputs['memory'])
        self.assertEqual('Running', outputs['status'])
        greeter = self.container(capsule_id, 'greeter').attrs
        self.assertIn('GREETING=hi there', greeter['Config']['Env'])
        self.assertEqual(48 * 1024 * 1024, greeter['HostConfig']['Memory'])
        self.assertEqual('no', greeter['HostConfig']['RestartPolicy']['Name'])
        self._delete_and_check_gone(ident, capsule_id)

    def test_parameters_out_of_their_constraints_are_refused(self):
        template = base.read_template('parameters.yaml')
        for parameters, expected in (
                ({'memory_mib': 4096}, 'From 8 to 512 MiB'),
                ({'capsule_name': 'Not_A_Label'}, 'like a DNS label'),
                ({'restart_policy': 'Sometimes'}, 'not an allowed value'),
                ({'greeting': 'x' * 65}, 'length')):
            name = self._stack_rand_name()
            error = self.assertRaises(
                heat_exc.HTTPBadRequest, self.client.stacks.create,
                stack_name=name, template=template, parameters=parameters)
            self.assertIn(expected, str(error), parameters)
            self.assertRaises(heat_exc.HTTPNotFound, self.client.stacks.get,
                              name)

    def test_yaql(self):
        ident, capsule_id, outputs = self._create('yaql', 'capsule')
        capsule = self.zun.capsules.get(capsule_id)
        expected_ips = self._flat_ips(capsule.addresses)
        self.assertTrue(expected_ips)
        self.assertEqual(expected_ips, outputs['ips'])
        # The address is the sandbox's on the engine's Docker network
        # (read from Docker; no traffic is sent to it).
        networks = self.sandbox(capsule_id).attrs['NetworkSettings'][
            'Networks']
        self.assertEqual(sorted(expected_ips),
                         sorted(n['IPAddress'] for n in networks.values()))
        self.assertEqual(['first', 'second'], outputs['container_names'])
        self.assertIs(True, outputs['all_running'])
        self._delete_and_check_gone(ident, capsule_id)

    def test_job(self):
        ident, capsule_id, outputs = self._create('job', 'job',
                                                  parameters={'count': 100})
        # CREATE_COMPLETE once the job had exited 0 (or was running
        # steadily): it is done by now in any case.
        capsule = base.wait_for(
            lambda: (lambda c: c if c.status == 'Stopped' else None)(
                self.zun.capsules.get(capsule_id)), what='the job done')
        self.assertEqual('sum exited with code 0', capsule.status_reason)
        outputs = self.stack_outputs(ident)
        self.assertEqual('Stopped', outputs['status'])
        self.assertEqual({'prepare': 0, 'sum': 0}, outputs['exit_codes'])
        self.assertEqual('total=5050\n', outputs['result'])
        job = self.container(capsule_id, 'sum').attrs
        self.assertEqual((0, 'no'), (job['State']['ExitCode'], job[
            'HostConfig']['RestartPolicy']['Name']))
        self._delete_and_check_gone(ident, capsule_id)

    def test_readiness(self):
        ident, web_id, outputs = self._create('readiness', 'web',
                                              parameters={'warmup': 3})
        # Heat completed the stack only once the web check passed, so the
        # page answers at the first request, with no retry.
        port = self.published_port(web_id, 8080)
        self.assertEqual('ready\n', _get('http://127.0.0.1:%d/' % port))
        self.assertEqual({'web': 'healthy'}, outputs['web_health'])
        self.assertEqual('Running', outputs['client_status'])
        self.assertIn('serving on 8080', outputs['web_logs']['web'])
        # The client capsule started after the page was written.
        client_id = self.get_physical_resource_id(ident, 'client')
        code, written = self.exec_in(web_id, 'web', 'stat', '-c', '%Y',
                                     '/www/index.html')
        self.assertEqual(0, code, written)
        started = self.container(client_id, 'client').attrs['State'][
            'StartedAt']
        self.assertGreaterEqual(_epoch_seconds(started), int(written))
        # The logs attribute through the real CLI, read when asked.
        _, shown, _ = self.openstack('stack', 'output', 'show',
                                     ident.split('/')[0], 'web_logs')
        self.assertIn('warming up for 3s', str(shown))
        # And the container's log through the real appcontainer command,
        # which reaches the engine through the catalog with a real token.
        web = self.zun.capsules.get(web_id).containers[0]
        self.assertEqual('healthy', web['healthcheck']['status'])
        _, printed, _ = self.openstack('appcontainer', 'logs', web['uuid'],
                                       parse_json=False)
        self.assertIn('serving on 8080', printed)
        self._delete_and_check_gone(ident, web_id)
        self.assert_capsule_gone(client_id)

    def _volumes_api(self, method, path='', session=None, **params):
        """The engine's volumes API with a real token (demo's default)."""
        session = session or self.session
        return requests.request(
            method, base.ENGINE_URL + '/volumes' + path, params=params,
            headers={'X-Auth-Token': session.get_token()}, timeout=30)

    def test_volume(self):
        first, capsule_id, outputs = self._create('volume', 'capsule')
        volume_id = outputs['volume_id']
        self.assertEqual([{'name': 'data', 'id': volume_id, 'size': 1,
                           'auto_remove': False}], outputs['volumes'])
        # Cleanups run last-in first: the stacks go, then the volume.
        self.addCleanup(self._volumes_api, 'DELETE', '/' + volume_id)
        self.addCleanup(self._stack_delete, first)
        self.assertEqual(capsule_id, self._volumes_api(
            'GET', '/' + volume_id).json()['capsule_uuid'])
        self.assertEqual(409, self._volumes_api(
            'DELETE', '/' + volume_id).status_code)
        self._delete_and_check_gone(first, capsule_id)

        # Kept: listed with no capsule, still in Docker; another project
        # (the admin's own) does not list it, all_projects does.
        listed = {v['uuid']: v for v in
                  self._volumes_api('GET').json()['volumes']}
        self.assertIsNone(listed[volume_id]['capsule_uuid'])
        docker_name = 'hc-vol-' + volume_id
        self.assertIn(docker_name,
                      [v.name for v in self.docker.volumes.list()])
        admin = base.keystone_session(base.ADMIN_CLOUD)
        self.assertNotIn(volume_id, [v['uuid'] for v in self._volumes_api(
            'GET', session=admin).json()['volumes']])
        self.assertIn(volume_id, [v['uuid'] for v in self._volumes_api(
            'GET', session=admin, all_projects=1).json()['volumes']])

        # A second stack attaches it by id and counts a second visit.
        second, capsule_id, outputs = self._create(
            'volume', 'capsule', parameters={'volume_id': volume_id})
        self.addCleanup(self._stack_delete, second)
        self.assertEqual(volume_id, outputs['volume_id'])
        base.wait_for(lambda: self.exec_in(capsule_id, 'counter', 'cat',
                                           '/data/count') == (0, '2\n'),
                      what='the second visit counted')
        self._delete_and_check_gone(second, capsule_id)

        self.assertEqual(204, self._volumes_api(
            'DELETE', '/' + volume_id).status_code)
        self.assertEqual(404, self._volumes_api(
            'GET', '/' + volume_id).status_code)
        self.assertNotIn(docker_name,
                         [v.name for v in self.docker.volumes.list()])


def _epoch_seconds(docker_time):
    """Whole epoch seconds of Docker's RFC 3339 time."""
    moment = datetime.datetime.strptime(docker_time[:19],
                                        '%Y-%m-%dT%H:%M:%S')
    return int(moment.replace(tzinfo=datetime.timezone.utc).timestamp())


def _curl(url):
    proc = subprocess.run(['curl', '-sf', '--max-time', '5', url],
                          capture_output=True, text=True, timeout=30)
    return proc.stdout if proc.returncode == 0 else None


def _get(url):
    try:
        response = requests.get(url, timeout=5)
    except requests.RequestException:
        return None
    return response.text if response.status_code == 200 else None

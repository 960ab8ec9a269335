"""A heat-tempest-plugin style base class for the end-to-end tests.

heat-tempest-plugin's ``HeatIntegrationTest`` builds an orchestration client
on a keystoneauth session, creates stacks with ``stack_create`` (which
registers the delete as a cleanup and polls the stack status until it is the
expected one), and then checks outputs, resources and the backing service's
own view of things. This module does the same without tempest itself:

* the credentials come from the all-in-one's ``clouds.yaml``
  (``HC_ALLINONE_DIR``, default /opt/heat-capsule/allinone), user ``demo``
  in project ``demo`` (a plain member), and ``heat-capsule-admin``;
* ``self.client`` is python-heatclient, ``self.zun`` python-zunclient, both
  on the same keystone session and finding their endpoints in the catalog;
* ``self.docker`` is the docker SDK, to look at what the engine made (read
  only: containers, volumes, published ports; never traffic to a
  container's address);
* ``self.openstack(...)`` runs the real ``openstack`` CLI with the same
  cloud.

If the all-in-one does not answer, every test is skipped, or fails when
``HEAT_CAPSULE_E2E=1`` says the run requires it.
"""

import json
import os
import re
import subprocess
import sys
import time
import unittest

import docker
from heatclient import client as heat_client
from heatclient import exc as heat_exc
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import testtools
import yaml
from zunclient import client as zun_client

from tests.support import engine as engine_support

# Where the cloud is. The defaults are the all-in-one's; for another cloud
# (a devstack with the plugin, see devstack/README.md) point these at its
# clouds.yaml, cloud names, engine instance name and engine URL.
ALLINONE_DIR = os.environ.get('HC_ALLINONE_DIR',
                              '/opt/heat-capsule/allinone')
CLOUDS_YAML = os.environ.get('HEAT_CAPSULE_E2E_CLOUDS_YAML',
                             os.path.join(ALLINONE_DIR, 'clouds.yaml'))
CLOUD = os.environ.get('HEAT_CAPSULE_E2E_CLOUD', 'heat-capsule')
ADMIN_CLOUD = os.environ.get('HEAT_CAPSULE_E2E_ADMIN_CLOUD',
                             'heat-capsule-admin')
ENGINE_INSTANCE = os.environ.get('HEAT_CAPSULE_E2E_INSTANCE', 'allinone')
ENGINE_URL = os.environ.get('HEAT_CAPSULE_E2E_ENGINE_URL',
                            'http://127.0.0.1:9517/v1')
REQUIRED = os.environ.get('HEAT_CAPSULE_E2E') == '1'

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..',
                                         '..'))
TEMPLATES_DIR = os.path.join(REPO_ROOT, 'templates')

# heat-tempest-plugin's [heat_plugin] build_timeout / build_interval.
BUILD_TIMEOUT = 300
BUILD_INTERVAL = 0.5
DELETE_TIMEOUT = 120

LABEL_ENGINE = 'io.heat-capsule.engine'
LABEL_CAPSULE = 'io.heat-capsule.capsule'
LABEL_ROLE = 'io.heat-capsule.role'

ZUN_MICROVERSION = '1.40'


class StackBuildErrorException(AssertionError):
    pass


def read_template(name):
    with open(os.path.join(TEMPLATES_DIR, name)) as handle:
        return handle.read()


def cloud_auth(cloud):
    with open(CLOUDS_YAML) as handle:
        config = yaml.safe_load(handle)['clouds'][cloud]
    return config['auth'], config.get('region_name', 'RegionOne')


def keystone_session(cloud=CLOUD):
    auth, _region = cloud_auth(cloud)
    return ks_session.Session(auth=v3.Password(**auth), timeout=60)


def _unavailable(reason):
    message = ('the cloud of %s is not usable: %s (start the all-in-one '
               'with: sudo bash tools/allinone.sh start)'
               % (CLOUDS_YAML, reason))
    if REQUIRED:
        raise AssertionError(message + '; HEAT_CAPSULE_E2E=1 requires it')
    raise unittest.SkipTest(message)


class HeatCapsuleTest(testtools.TestCase):
    """Base class: clients for the demo user and stack helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.path.exists(CLOUDS_YAML):
            _unavailable('%s does not exist' % CLOUDS_YAML)
        try:
            _auth, cls.region = cloud_auth(CLOUD)
            cls.session = keystone_session(CLOUD)
            cls.session.get_token()
            cls.client = heat_client.Client(
                '1', session=cls.session, service_type='orchestration',
                interface='public', region_name=cls.region)
            cls.zun = zun_client.Client(
                ZUN_MICROVERSION, session=cls.session,
                service_type='container', interface='public',
                region_name=cls.region)
            cls.client.build_info.build_info()
            cls.zun.capsules.list(limit=1)
        except Exception as exc:  # any failure means "not usable"
            _unavailable('%s: %s' % (type(exc).__name__, exc))
        cls.docker = docker.from_env()

    @classmethod
    def tearDownClass(cls):
        docker_client = getattr(cls, 'docker', None)
        if docker_client is not None:
            docker_client.close()
        super().tearDownClass()

    # -- stacks (heat-tempest-plugin's HeatIntegrationTest helpers) --------

    def _stack_rand_name(self):
        test = re.sub('[^a-z0-9]+', '-', self.id().rsplit('.', 1)[-1].lower())
        return 'e2e-%s-%s' % (test.strip('-')[:30], os.urandom(3).hex())

    def stack_create(self, template, stack_name=None, parameters=None,
                     expected_status='CREATE_COMPLETE'):
        """Create a stack, register its deletion, wait for its status.

        :returns: the stack identifier "name/id".
        """
        name = stack_name or self._stack_rand_name()
        self.client.stacks.create(stack_name=name, template=template,
                                  parameters=parameters or {})
        self.addCleanup(self._stack_delete, name)
        stack = self.client.stacks.get(name, resolve_outputs=False)
        ident = '%s/%s' % (name, stack.id)
        self._wait_for_stack_status(ident, expected_status)
        return ident

    def update_stack(self, ident, template, parameters=None,
                     expected_status='UPDATE_COMPLETE'):
        name = ident.split('/')[0]
        self.client.stacks.update(stack_id=ident, stack_name=name,
                                  template=template,
                                  parameters=parameters or {})
        self._wait_for_stack_status(ident, expected_status)

    def _wait_for_stack_status(self, ident, status, timeout=BUILD_TIMEOUT,
                               success_on_not_found=False):
        """Poll the stack until it has ``status``.

        A ``*_FAILED`` status other than the expected one raises at once,
        with the stack's reason.
        """
        deadline = time.monotonic() + timeout
        stack = None
        while time.monotonic() < deadline:
            try:
                stack = self.client.stacks.get(ident, resolve_outputs=False)
            except heat_exc.HTTPNotFound:
                if success_on_not_found:
                    return
                raise
            if stack.stack_status == status:
                return
            if (stack.stack_status.endswith('_FAILED')
                    and stack.stack_status != status):
                raise StackBuildErrorException(
                    'stack %s is %s, expected %s: %s'
                    % (ident, stack.stack_status, status,
                       stack.stack_status_reason))
            time.sleep(BUILD_INTERVAL)
        raise AssertionError(
            'stack %s did not reach %s within %ss (last: %s, %s)'
            % (ident, status, timeout, getattr(stack, 'stack_status', None),
               getattr(stack, 'stack_status_reason', None)))

    def _stack_delete(self, ident):
        """Delete a stack (once) and wait until it is gone.

        A stack is deleted at most once per test: the explicit delete of a
        test and its cleanup both come here. Deleting again a stack that
        has just reached DELETE_COMPLETE makes Heat 27 answer 500 (its
        stored credentials are already gone), so that is never done.
        """
        name = ident.split('/')[0]
        deleted = self.__dict__.setdefault('_deleted_stacks', set())
        if name in deleted:
            return
        try:
            stack = self.client.stacks.get(ident, resolve_outputs=False)
        except heat_exc.HTTPNotFound:
            deleted.add(name)
            return
        if stack.stack_status == 'DELETE_COMPLETE':
            deleted.add(name)
            return
        ident = '%s/%s' % (stack.stack_name, stack.id)
        try:
            self.client.stacks.delete(ident)
        except heat_exc.HTTPNotFound:
            deleted.add(name)
            return
        deleted.add(name)
        try:
            self._wait_for_stack_status(ident, 'DELETE_COMPLETE',
                                        success_on_not_found=True,
                                        timeout=DELETE_TIMEOUT)
        except AssertionError as exc:
            raise AssertionError('%s; %s' % (exc, self._diagnose(ident)))

    def _diagnose(self, ident):
        """What Heat and the engine say about a stack's capsules."""
        found = []
        try:
            for res in self.client.resources.list(ident):
                found.append('%s %s %s (%s)' % (
                    res.resource_name, res.physical_resource_id,
                    res.resource_status, res.resource_status_reason))
                if res.physical_resource_id:
                    try:
                        capsule = self.zun.capsules.get(
                            res.physical_resource_id)
                        found.append('engine: %s %s' % (
                            capsule.status, capsule.status_reason))
                    except Exception as exc:  # noqa: diagnostics only
                        found.append('engine: %s' % exc)
        except Exception as exc:  # noqa: diagnostics only
            found.append('no resources: %s' % exc)
        return '; '.join(found)

    def stack_outputs(self, ident):
        """{output key: value} of a stack."""
        stack = self.client.stacks.get(ident)
        return {o['output_key']: o.get('output_value')
                for o in stack.outputs}

    def get_physical_resource_id(self, ident, resource_name):
        return self.client.resources.get(
            ident, resource_name).physical_resource_id

    # -- what the engine made on Docker (read only) ------------------------

    def docker_objects(self, capsule_uuid, kind='containers', role=None):
        labels = ['%s=%s' % (LABEL_ENGINE, ENGINE_INSTANCE),
                  '%s=%s' % (LABEL_CAPSULE, capsule_uuid)]
        if role:
            labels.append('%s=%s' % (LABEL_ROLE, role))
        collection = getattr(self.docker, kind)
        if kind == 'containers':
            return collection.list(all=True, filters={'label': labels})
        return collection.list(filters={'label': labels})

    def container(self, capsule_uuid, name):
        return self.docker.containers.get('hc-%s-%s' % (capsule_uuid, name))

    def sandbox(self, capsule_uuid):
        found = self.docker_objects(capsule_uuid, role='sandbox')
        self.assertEqual(1, len(found), 'one sandbox per capsule')
        return found[0]

    def published_port(self, capsule_uuid, port, protocol='tcp'):
        """The 127.0.0.1 host port a capsule port is published on."""
        sandbox = self.sandbox(capsule_uuid)
        sandbox.reload()
        bindings = sandbox.attrs['NetworkSettings']['Ports'].get(
            '%d/%s' % (port, protocol)) or []
        for binding in bindings:
            if binding.get('HostIp') == '127.0.0.1':
                return int(binding['HostPort'])
        self.fail('port %d/%s of capsule %s is not published on 127.0.0.1: '
                  '%r' % (port, protocol, capsule_uuid, bindings))

    def exec_in(self, capsule_uuid, name, *command):
        result = self.container(capsule_uuid, name).exec_run(list(command))
        return result.exit_code, result.output.decode('utf-8', 'replace')

    def assert_capsule_gone(self, capsule_uuid):
        from zunclient import exceptions as zun_exc
        self.assertRaises(zun_exc.NotFound, self.zun.capsules.get,
                          capsule_uuid)
        self.assertEqual([], self.docker_objects(capsule_uuid))

    # -- the openstack CLI ---------------------------------------------------

    def openstack(self, *args, cloud=CLOUD, parse_json=True, check=True):
        """Run ``openstack ARGS`` as the user of ``cloud``.

        With ``parse_json`` "-f json" is added and the output parsed.
        Returns (exit code, parsed output or text, stderr). A call that
        succeeds must print nothing on stderr (no plugin load errors,
        warnings or deprecation notes: the CLI a user sees is quiet).
        """
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        env.update(OS_CLIENT_CONFIG_FILE=CLOUDS_YAML, OS_CLOUD=cloud)
        command = [os.path.join(os.path.dirname(sys.executable),
                                'openstack')] + list(args)
        if parse_json:
            command += ['-f', 'json']
        proc = subprocess.run(command, env=env, capture_output=True,
                              text=True, timeout=BUILD_TIMEOUT)
        if check and proc.returncode != 0:
            self.fail('%s exited with %d: %s' % (' '.join(args),
                                                 proc.returncode,
                                                 proc.stderr[-2000:]))
        if proc.returncode == 0:
            self.assertEqual('', proc.stderr,
                             'openstack %s succeeded but printed on stderr'
                             % ' '.join(args))
        output = proc.stdout
        if parse_json and proc.returncode == 0:
            output = _last_json_document(output)
        return proc.returncode, output, proc.stderr


def _last_json_document(text):
    """The JSON document that ends ``text``.

    ``stack create --wait`` prints the stack's events before its JSON
    document; the document starts at the first line that is "{" or "[".
    """
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line in ('{', '[', '[]', '{}'):
            return json.loads('\n'.join(lines[index:]))
    return json.loads(text)


def wait_for(probe, timeout=30, interval=0.5, what='condition'):
    """tests.support.engine.wait_for, with end-to-end pacing."""
    return engine_support.wait_for(probe, timeout=timeout,
                                   interval=interval, what=what)

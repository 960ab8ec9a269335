"""The resources/ drop-in, loaded the Heat way from ``plugin_dirs``.

Each test runs Heat's real start-up plugin loading
(``heat.engine.resources.initialise()``) in a fresh interpreter, with
``[DEFAULT] plugin_dirs`` pointing at the repository's ``resources/``, and
reports what the global environment ended up with.

heat-capsule need not be installed: when its ``heat.clients`` entry point is
missing, a throwaway ``*.dist-info`` on PYTHONPATH declares the entry points
exactly as setup.cfg does, which is what ``pip install`` would do.
"""

import configparser
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile

import testtools

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                         '..', '..', '..'))
RESOURCES_DIR = os.path.join(REPO_ROOT, 'resources')

# Runs in the child interpreter: argv[1] is a JSON list of plugin dirs,
# argv[2] a JSON list of modules to make unimportable.
DRIVER = r'''
import json
import sys

for name in json.loads(sys.argv[2]):
    sys.modules[name] = None        # "import name" now raises ImportError

from oslo_service import backend
backend.init_backend(backend.BackendType.THREADING)

import os
from oslo_config import cfg
from heat.common import config  # noqa: F401  (registers plugin_dirs etc.)

cfg.CONF([], project='heat', default_config_files=[])
cfg.CONF.set_override('plugin_dirs', json.loads(sys.argv[1]))
cfg.CONF.set_override('environment_dir',
                      os.path.join(sys.prefix, 'etc', 'heat',
                                   'environment.d'))

from heat.engine import clients
from heat.engine import resources

resources.initialise()                  # what heat-engine does at start-up
env = resources.global_env()


def type_of(name):
    try:
        cls = env.get_class(name)
    except Exception:
        return None
    return '%s.%s' % (cls.__module__, cls.__name__)


constraint = env.get_constraint('zun.capsule')
print(json.dumps({
    'capsule': type_of('OS::Zun::Capsule'),
    'heat_own_type': type_of('OS::Heat::None'),
    'client_plugin': bool(clients.has_client('zun_capsule')),
    'constraint': constraint and '%s.%s' % (constraint.__module__,
                                            constraint.__name__),
}))
'''


def entry_points_installed():
    return any(ep.name == 'zun_capsule' for ep in
               importlib.metadata.entry_points(group='heat.clients'))


class PluginDirTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix='heat-capsule-plugin-dir-')
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def fake_install(self):
        """A dist-info declaring setup.cfg's Heat entry points."""
        if entry_points_installed():
            return None
        parser = configparser.ConfigParser()
        parser.read(os.path.join(REPO_ROOT, 'setup.cfg'))
        site = os.path.join(self.tmp, 'site')
        dist_info = os.path.join(site, 'heat_capsule_test-0.0.0.dist-info')
        os.makedirs(dist_info)
        with open(os.path.join(dist_info, 'METADATA'), 'w') as f:
            f.write('Metadata-Version: 2.1\nName: heat-capsule-test\n'
                    'Version: 0.0.0\n')
        with open(os.path.join(dist_info, 'entry_points.txt'), 'w') as f:
            for group in ('heat.clients', 'heat.constraints'):
                f.write('[%s]\n%s\n\n' % (
                    group, parser['entry_points'][group].strip()))
        return site

    def load(self, plugin_dirs, pythonpath, block=()):
        driver = os.path.join(self.tmp, 'driver.py')
        with open(driver, 'w') as f:
            f.write(DRIVER)
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(p for p in pythonpath if p)
        proc = subprocess.run(
            [sys.executable, driver, json.dumps(plugin_dirs),
             json.dumps(list(block))],
            cwd=self.tmp, env=env, capture_output=True, text=True,
            timeout=120)
        self.assertEqual(0, proc.returncode,
                         'Heat plugin loading failed:\n' + proc.stderr)
        return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr

    def test_capsule_is_registered_from_plugin_dirs(self):
        result, _err = self.load([RESOURCES_DIR],
                                 [REPO_ROOT, self.fake_install()])
        self.assertEqual('heat_capsule.heat.capsule.Capsule',
                         result['capsule'])
        self.assertTrue(result['client_plugin'])
        self.assertEqual('heat_capsule.heat.client.CapsuleConstraint',
                         result['constraint'])
        self.assertIsNotNone(result['heat_own_type'])

    def test_without_zunclient_loading_succeeds_without_the_type(self):
        result, err = self.load([RESOURCES_DIR],
                                [REPO_ROOT, self.fake_install()],
                                block=['zunclient'])
        self.assertIsNone(result['capsule'])
        self.assertFalse(result['client_plugin'])
        self.assertIsNone(result['constraint'])
        self.assertIsNotNone(result['heat_own_type'])
        self.assertIn('OS::Zun::Capsule is not available', err)

    def test_without_heat_capsule_loading_succeeds_without_the_type(self):
        result, err = self.load([RESOURCES_DIR],
                                [REPO_ROOT, self.fake_install()],
                                block=['heat_capsule'])
        self.assertIsNone(result['capsule'])
        self.assertFalse(result['client_plugin'])
        self.assertIsNotNone(result['heat_own_type'])
        self.assertIn('OS::Zun::Capsule is not available', err)

    def test_without_the_client_plugin_the_type_is_not_offered(self):
        # The package imports, but its heat.clients entry point cannot be
        # loaded (as when the code is on sys.path without being installed).
        result, err = self.load([RESOURCES_DIR],
                                [REPO_ROOT, self.fake_install()],
                                block=['heat_capsule.heat.client'])
        self.assertIsNone(result['capsule'])
        self.assertFalse(result['client_plugin'])
        self.assertIsNotNone(result['heat_own_type'])
        self.assertIn('"zun_capsule" is not registered', err)

    def test_installed_layout(self):
        # setup.cfg: data_files = lib/heat/heat_capsule = resources/*.py
        # with plugin_dirs = <prefix>/lib/heat. Heat only walks a
        # sub-directory of a plugin dir if it has an __init__.py: its
        # absence is the regression this test guards, so it fails here.
        self.assertTrue(
            os.path.exists(os.path.join(RESOURCES_DIR, '__init__.py')),
            'resources/__init__.py is missing, so Heat would not walk '
            '<prefix>/lib/heat/heat_capsule/ and OS::Zun::Capsule would '
            'not load from an installed heat-capsule')
        lib_heat = os.path.join(self.tmp, 'lib', 'heat')
        target = os.path.join(lib_heat, 'heat_capsule')
        os.makedirs(target)
        for name in os.listdir(RESOURCES_DIR):
            if name.endswith('.py'):
                shutil.copy(os.path.join(RESOURCES_DIR, name), target)
        result, _err = self.load([lib_heat],
                                 [REPO_ROOT, self.fake_install()])
        self.assertEqual('heat_capsule.heat.capsule.Capsule',
                         result['capsule'])

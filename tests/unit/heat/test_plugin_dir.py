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
import os
import shutil
import sys
import tempfile

import testtools

from tests.support import heat_plugins

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                         '..', '..', '..'))
RESOURCES_DIR = os.path.join(REPO_ROOT, 'resources')
# What heat-engine does not have: the bundled engine's own packages, the
# docker SDK and the engine's WSGI server (webob and sqlalchemy are Heat's
# own dependencies, so they cannot be told apart here).
ENGINE_ONLY = ('heat_capsule.engine', 'docker', 'cheroot')


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
        return heat_plugins.load(sys.executable, self.tmp, plugin_dirs,
                                 pythonpath, block)

    def test_capsule_is_registered_from_plugin_dirs(self):
        result, _err = self.load([RESOURCES_DIR],
                                 [REPO_ROOT, self.fake_install()])
        self.assertEqual('heat_capsule.heat.capsule.Capsule',
                         result['capsule'])
        self.assertTrue(result['client_plugin'])
        self.assertEqual('heat_capsule.heat.client.CapsuleConstraint',
                         result['constraint'])
        self.assertIsNotNone(result['heat_own_type'])

    def test_the_heat_side_loads_without_the_engine_packages(self):
        # heat_capsule.heat and resources/ import only Heat, zunclient and
        # the pure modules both sides share (heat_capsule.names, .bounds,
        # .textutils): with the engine-only packages unimportable the type
        # loads in full.
        result, _err = self.load([RESOURCES_DIR],
                                 [REPO_ROOT, self.fake_install()],
                                 block=ENGINE_ONLY)
        self.assertEqual('heat_capsule.heat.capsule.Capsule',
                         result['capsule'])
        self.assertTrue(result['client_plugin'])
        self.assertEqual('heat_capsule.heat.client.CapsuleConstraint',
                         result['constraint'])

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
        # setup.cfg's data_files put resources/*.py into
        # <prefix>/lib/heat/heat_capsule/, with plugin_dirs =
        # <prefix>/lib/heat (tests/packaging/test_wheel.py installs it).
        # Heat only walks a sub-directory of a plugin dir if it has an
        # __init__.py: its absence is the regression this test guards, so
        # it fails here.
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

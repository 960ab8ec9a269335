"""The tempest plugin's pure parts and the tools around it, without tempest.

The scenario tests themselves run under ``tempest run``
(tools/run-tempest.sh, the last step of tools/run-tests.sh); these check
what can be checked in the project's own virtualenv: the plugin imports
nothing engine-only, every template has a scenario test, the image
substitution, the lift of zun-tempest-plugin's skip, the tempest.conf
writer and the exclude list's format.
"""

import ast
import configparser
import glob
import importlib.util
import os
import re
import stat
import unittest

from hypothesis import given
from hypothesis import strategies as st
import testtools

from heat_capsule.tempest import templates

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PLUGIN = os.path.join(REPO, 'heat_capsule', 'tempest')
TOOLS = os.path.join(REPO, 'tools', 'tempest')
# What the plugin must not import: it runs in tempest's virtualenv, against
# any cloud (README, "Tempest").
FORBIDDEN = ('heat_capsule.engine', 'docker', 'webob', 'sqlalchemy',
             'cheroot', 'heat', 'heatclient', 'zunclient', 'tests')


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _imports(path):
    with open(path) as handle:
        tree = ast.parse(handle.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module


def test_plugin_imports_nothing_engine_only():
    found = {}
    for path in glob.glob(os.path.join(PLUGIN, '**', '*.py'),
                          recursive=True):
        for name in _imports(path):
            if any(name == f or name.startswith(f + '.') for f in FORBIDDEN):
                found.setdefault(os.path.relpath(path, REPO), []).append(name)
    assert found == {}


def test_every_template_has_a_scenario_test():
    path = os.path.join(PLUGIN, 'tests', 'scenario', 'test_templates.py')
    with open(path) as handle:
        tests = {node.name for node in ast.walk(ast.parse(handle.read()))
                 if isinstance(node, ast.FunctionDef)}
    names = [os.path.basename(p)[:-len('.yaml')]
             for p in glob.glob(os.path.join(REPO, 'templates', '*.yaml'))]
    assert names
    assert [n for n in names if 'test_' + n not in tests] == []


def test_setup_cfg_registers_the_plugin():
    conf = configparser.ConfigParser()
    conf.read(os.path.join(REPO, 'setup.cfg'))
    entry = conf['entry_points']['tempest.test_plugins'].strip()
    assert entry == ('heat_capsule = '
                     'heat_capsule.tempest.plugin:HeatCapsuleTempestPlugin')
    # A wheel carries the examples for [heat_capsule] templates_dir's
    # default outside a checkout.
    assert 'share/heat-capsule/templates = templates/*' in conf['files'][
        'data_files']


_NAMES = st.from_regex(r'[a-z][a-z0-9]{0,10}([./:-][a-z0-9]{1,8}){0,3}',
                       fullmatch=True)


@given(image=_NAMES, other=_NAMES, spaces=st.sampled_from([' ', '  ', '\t']))
def test_replace_image_changes_busybox_alone(image, other, spaces):
    text = ('containers:\n'
            '  - image:%sbusybox\n'
            '    command: [busybox, sh]\n'
            '  - image: %s\n'
            '  - image: busybox:1.36\n'
            '  - image: busybox-extra\n'
            '    sandbox_image: busybox\n' % (spaces, other))
    replaced = templates.replace_image(text, image)
    assert replaced.splitlines()[1] == '  - image:%s%s' % (spaces, image)
    # Every other line stays as it was.
    assert replaced.splitlines()[2:] == text.splitlines()[2:]


def test_replace_image_in_every_example():
    for path in glob.glob(os.path.join(REPO, 'templates', '*.yaml')):
        with open(path) as handle:
            text = handle.read()
        replaced = templates.replace_image(text, 'registry.example/bb:1')
        assert not re.search(r'\bimage:\s*busybox\b', replaced), path
        assert replaced.count('registry.example/bb:1') == len(
            re.findall(r'\bimage:\s*busybox\b', text)), path


# -- tools/tempest --------------------------------------------------------

discover = _load(os.path.join(TOOLS, 'hc_tempest_discover',
                              'test_discover.py'), 'hc_tempest_discover')
write_conf = _load(os.path.join(TOOLS, 'write_conf.py'), 'hc_write_conf')


def _skipped_class(skip):
    ran = []

    class Skipped(testtools.TestCase):
        @testtools.testcase.attr('id-1234')
        @skip('bug 1941982')
        def test_lifted(self):
            """Doc."""
            ran.append('lifted')

        @skip('another reason')
        def test_kept(self):
            ran.append('kept')

    return Skipped, ran


def test_lift_skips_runs_the_test_and_keeps_its_id():
    for skip in (testtools.skip, unittest.skip):
        cls, ran = _skipped_class(skip)
        before = cls('test_lifted').id()
        assert discover.lift_skips(cls, 'bug 1941982') == ['test_lifted']
        assert cls('test_lifted').id() == before
        assert cls.test_lifted.__doc__ == 'Doc.'
        result = unittest.TestResult()
        unittest.TestSuite([cls('test_lifted'), cls('test_kept')]).run(
            result)
        assert ran == ['lifted']
        assert [t.id().rsplit('.', 1)[1] for t, _ in result.skipped] == [
            'test_kept']
        assert result.errors == result.failures == []


def test_lift_skips_refuses_a_skip_it_cannot_undo():
    class Opaque(testtools.TestCase):
        def test_x(self):
            pass
    Opaque.test_x.__unittest_skip_why__ = 'bug 1941982'
    with testtools.ExpectedException(RuntimeError, '.*__wrapped__'):
        discover.lift_skips(Opaque, 'bug 1941982')


def test_write_conf(tmp_path, monkeypatch):
    for key, value in {'OS_AUTH_URL': 'http://127.0.0.1:5000',
                       'OS_USERNAME': 'admin', 'OS_PASSWORD': 's3cret%',
                       'OS_PROJECT_NAME': 'admin',
                       'OS_USER_DOMAIN_NAME': 'Default'}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv('OS_REGION_NAME', raising=False)
    out = tmp_path / 'etc' / 'tempest.conf'
    assert write_conf.main(['write_conf.py', str(out),
                            'DEFAULT.log_dir=/tmp/x',
                            'container_service.cirros_image=a/b:1']) == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(out)
    assert conf['identity']['uri_v3'] == 'http://127.0.0.1:5000/v3'
    assert conf['identity']['region'] == 'RegionOne'
    assert conf['auth']['admin_password'] == 's3cret%'
    assert conf['auth']['use_dynamic_credentials'] == 'true'
    assert conf['service_available']['neutron'] == 'false'
    assert conf['service_available']['heat_capsule'] == 'true'
    assert conf['DEFAULT']['log_dir'] == '/tmp/x'
    assert conf['container_service']['cirros_image'] == 'a/b:1'


def test_exclude_list_gives_a_reason_for_each_test():
    with open(os.path.join(TOOLS, 'zun-capsule-exclude.txt')) as handle:
        lines = handle.read().splitlines()
    excluded = [i for i, line in enumerate(lines)
                if line and not line.startswith('#')]
    assert excluded
    for i in excluded:
        re.compile(lines[i])
        assert lines[i].startswith(
            r'zun_tempest_plugin\.tests\.tempest\.api\.test_capsules\.')
        assert lines[i - 1].startswith('# '), lines[i]

"""heat-capsule built and installed as an operator does it.

The steps of the README's "Install into an existing Heat", for real:

1. ``python -m build`` in a clean copy of the checkout (its git-tracked and
   new files, in a fresh git repository, so nothing a developer's tree
   holds leaks in) makes the sdist, then the wheel from that sdist;
2. an existing Heat: a fresh virtualenv with openstack-heat (the version
   test-requirements.txt pins) under the constraints;
3. ``pip install -c <constraints> <wheel>`` into it: not editable;
4. ``heat.conf``: ``plugin_dirs`` = Heat's default list plus
   ``<prefix>/lib/heat``;
5. "restart heat-engine": Heat's real start-up plugin loading
   (tests/support/heat_plugins.py) in that environment, reading that
   heat.conf, finds OS::Zun::Capsule in the installed drop-in;
6. the installed ``heat-capsule-engine`` serves the API.

Slow-ish (a Heat install; pip's cache makes it about a minute on an idle
2-core machine) and needs PyPI.
"""

import configparser
import email.parser
import filecmp
import glob
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

import pytest
import requests

from tests.packaging import test_constraints
from tests.support import engine as engine_support
from tests.support import heat_plugins

REPO_ROOT = test_constraints.REPO_ROOT
RESOURCES = sorted(os.path.basename(p) for p in
                   glob.glob(os.path.join(REPO_ROOT, 'resources', '*.py')))
SAMPLE = os.path.join('etc', 'heat-capsule-engine.conf.sample')
# Heat's default [DEFAULT] plugin_dirs (heat/common/config.py).
HEAT_PLUGIN_DIRS = ['/usr/lib64/heat', '/usr/lib/heat',
                    '/usr/local/lib/heat', '/usr/local/lib64/heat']


def run(command, **kwargs):
    proc = subprocess.run(command, capture_output=True, text=True,
                          timeout=kwargs.pop('timeout', 600), **kwargs)
    assert proc.returncode == 0, '%s failed (%d):\n%s\n%s' % (
        ' '.join(command), proc.returncode, proc.stdout[-3000:],
        proc.stderr[-3000:])
    return proc.stdout


def heat_requirement():
    """test-requirements.txt's openstack-heat line."""
    for _, req in test_constraints.project_requirements():
        if req.name == 'openstack-heat':
            return str(req)
    raise AssertionError('test-requirements.txt has no openstack-heat')


@pytest.fixture(scope='module')
def workdir():
    path = tempfile.mkdtemp(prefix='hc-packaging-')
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope='module')
def checkout(workdir):
    """A clean copy of the checkout, committed in a fresh git repository
    (pbr takes the version and the sdist's file list from git)."""
    copy = os.path.join(workdir, 'heat-capsule')
    listed = run(['git', 'ls-files', '-z', '--cached', '--others',
                  '--exclude-standard'], cwd=REPO_ROOT).split('\0')
    for name in filter(None, listed):
        source = os.path.join(REPO_ROOT, name)
        if os.path.isfile(source):     # tracked but deleted: skipped
            os.makedirs(os.path.dirname(os.path.join(copy, name)),
                        exist_ok=True)
            shutil.copy2(source, os.path.join(copy, name))
    env = dict(os.environ, GIT_AUTHOR_NAME='test', GIT_COMMITTER_NAME='test',
               GIT_AUTHOR_EMAIL='test@example.invalid',
               GIT_COMMITTER_EMAIL='test@example.invalid')
    for command in (['git', 'init', '-q'], ['git', 'add', '-A'],
                    ['git', 'commit', '-q', '-m', 'snapshot']):
        run(command, cwd=copy, env=env)
    return copy


@pytest.fixture(scope='module')
def built(workdir, checkout):
    """(sdist, wheel) made by ``python -m build``."""
    dist = os.path.join(workdir, 'dist')
    run([sys.executable, '-m', 'build', '--outdir', dist, checkout])
    (sdist,) = glob.glob(os.path.join(dist, 'heat_capsule-*.tar.gz'))
    (wheel,) = glob.glob(os.path.join(dist, 'heat_capsule-*-py3-none-any'
                                            '.whl'))
    return sdist, wheel


@pytest.fixture(scope='module')
def installed(workdir, built):
    """The prefix of a fresh venv holding Heat, then the wheel."""
    prefix = os.path.join(workdir, 'heat-venv')
    run([sys.executable, '-m', 'venv', prefix])
    constraints = os.path.join(workdir, 'upper-constraints.txt')
    run([sys.executable, os.path.join(REPO_ROOT, 'tools', 'constraints.py'),
         '--output', constraints])
    pip = [os.path.join(prefix, 'bin', 'python'), '-m', 'pip', 'install',
           '--quiet', '--no-compile', '-c', constraints]
    run(pip + [heat_requirement()])            # the existing Heat
    run(pip + [built[1]])                      # the README's pip install
    return prefix


def test_wheel_contents(built):
    _, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (dist_info,) = {n.split('/')[0] for n in names
                        if n.split('/')[0].endswith('.dist-info')}
        entry_points = configparser.ConfigParser()
        entry_points.read_string(archive.read(
            dist_info + '/entry_points.txt').decode())
        metadata = email.parser.Parser().parsestr(
            archive.read(dist_info + '/METADATA').decode())
    data = sorted(n.split('/', 2)[2] for n in names
                  if n.split('/')[0].endswith('.data'))
    # The HOT examples ship too: the tempest plugin's templates_dir.
    templates = run(['git', 'ls-files', 'templates'], cwd=REPO_ROOT).split()
    assert templates
    assert data == sorted(
        ['etc/heat-capsule/heat-capsule-engine.conf.sample']
        + ['lib/heat/heat_capsule/' + n for n in RESOURCES]
        + ['share/heat-capsule/' + n for n in templates])
    assert set(entry_points['console_scripts']) == {
        'heat-capsule-engine', 'heat-capsule-images'}
    assert set(entry_points['heat.clients']) == {'zun_capsule'}
    assert set(entry_points['heat.constraints']) == {'zun.capsule'}
    assert set(entry_points['tempest.test_plugins']) == {'heat_capsule'}
    # Every file of the package (modules, alembic's script template).
    package = run(['git', 'ls-files', 'heat_capsule'],
                  cwd=REPO_ROOT).split()
    assert set(package) <= set(names)
    assert not [n for n in names if n.startswith('tests/')]
    requires = metadata.get_all('Requires-Dist')
    assert any(r.startswith('python-zunclient') for r in requires)


def test_sdist_holds_the_checkout(built, checkout):
    sdist, _ = built
    with tarfile.open(sdist) as archive:
        names = {n.split('/', 1)[1] for n in archive.getnames() if '/' in n}
    tracked = {n for n in run(['git', 'ls-files'], cwd=checkout).split()
               if not n.startswith('.git')}      # pbr leaves .gitignore out
    assert tracked <= names, sorted(tracked - names)


def test_installed_layout(installed, checkout):
    bin_dir = os.path.join(installed, 'bin')
    for script in ('heat-capsule-engine', 'heat-capsule-images'):
        run([os.path.join(bin_dir, script), '--help'], cwd=installed)
    drop_in = os.path.join(installed, 'lib', 'heat', 'heat_capsule')
    assert sorted(os.listdir(drop_in)) == RESOURCES
    for name in RESOURCES:
        assert filecmp.cmp(os.path.join(drop_in, name),
                           os.path.join(checkout, 'resources', name),
                           shallow=False)
    sample = os.path.join(installed, 'etc', 'heat-capsule',
                          'heat-capsule-engine.conf.sample')
    assert filecmp.cmp(sample, os.path.join(checkout, SAMPLE),
                       shallow=False)
    # A real install, not an editable one: the package lives in the venv.
    where = run([os.path.join(bin_dir, 'python'), '-c',
                 'import heat_capsule; print(heat_capsule.__file__)'],
                cwd='/', env={'PATH': os.environ['PATH']}).strip()
    assert where.startswith(os.path.join(installed, 'lib')), where
    # The oslo.config entry point the sample is generated from.
    generated = run([os.path.join(bin_dir, 'oslo-config-generator'),
                     '--namespace', 'heat_capsule.engine'])
    assert '[runtime]' in generated


def test_heat_loads_the_installed_drop_in(installed, workdir):
    lib_heat = os.path.join(installed, 'lib', 'heat')
    heat_conf = os.path.join(workdir, 'heat.conf')
    with open(heat_conf, 'w') as handle:
        handle.write('[DEFAULT]\nplugin_dirs = %s\n'
                     % ','.join(HEAT_PLUGIN_DIRS + [lib_heat]))
    result, stderr = heat_plugins.load(
        os.path.join(installed, 'bin', 'python'), workdir,
        config_file=heat_conf)
    assert result['capsule'] == 'heat_capsule.heat.capsule.Capsule', stderr
    # The type comes from the installed package, through the drop-in.
    assert result['capsule_file'].startswith(
        os.path.join(installed, 'lib', 'python')), result
    assert result['plugin_files'] == [
        os.path.join(lib_heat, 'heat_capsule', name) for name in RESOURCES]
    assert result['client_plugin']
    assert result['constraint'] == (
        'heat_capsule.heat.client.CapsuleConstraint')
    assert result['heat_own_type'] is not None


def test_installed_engine_serves_the_api(installed):
    engine = engine_support.EngineProcess(
        extra_conf='enabled = false', bin_dir=os.path.join(installed, 'bin'))
    try:
        engine.start(timeout=60)
        versions = requests.get(engine.url + '/', timeout=10).json()
        assert [v['id'] for v in versions['versions']] == ['v1']
        listed = requests.get(engine.url + '/v1/capsules', timeout=10)
        assert listed.status_code == 200, listed.text
        assert listed.json()['capsules'] == []
    finally:
        engine.stop()
        shutil.rmtree(engine.state_dir, ignore_errors=True)

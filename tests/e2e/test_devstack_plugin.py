"""devstack/ and tools/ shell scripts: syntax, shellcheck, and the plugin's
phases run against stand-ins of devstack's functions.

Devstack itself cannot run here (it wants a whole cloud and the network), so
the plugin is exercised the way devstack calls it, ``source plugin.sh stack
<phase>``, with devstack's library functions replaced by stubs that record
their calls and a real ini file for ``iniset``/``iniget``. That checks what
the plugin decides (plugin_dirs merged, the link, which services it starts
and restarts, when it registers the endpoint), not devstack. These tests do
not need the all-in-one; the clean test uses the real Docker, on objects it
labels with a throwaway instance name.
"""

import configparser
import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from tests.e2e import base
from tests.support import engine as engine_support

DEVSTACK_DIR = os.path.join(base.REPO_ROOT, 'devstack')
SCRIPTS = sorted(glob.glob(os.path.join(DEVSTACK_DIR, '*'))
                 + glob.glob(os.path.join(base.REPO_ROOT, 'tools', '*.sh'))
                 + glob.glob(os.path.join(base.REPO_ROOT, 'allinone', '*.sh')))
SHELL_SCRIPTS = [path for path in SCRIPTS
                 if os.path.basename(path) in ('plugin.sh', 'settings')
                 or path.endswith('.sh')]

# Stand-ins for the devstack functions plugin.sh and settings use. Each
# records its call in $CALLS; iniset/iniget work on real ini files.
STUBS = r'''
record() { printf '%s\n' "$*" >> "$CALLS"; }
trueorfalse() { local v=${!2:-$1}; case $v in True|true|1|yes) echo True;;
    *) echo False;; esac; }
is_service_enabled() { local s; for s in "$@"; do
    [[ ,$ENABLED_SERVICES, == *,$s,* ]] && return 0; done; return 1; }
enable_service() { ENABLED_SERVICES+=",$1"; }
iniset() { python3 - "$@" <<'PY'
import configparser, sys
path, section, key, value = sys.argv[1:5]
c = configparser.RawConfigParser()
c.optionxform = str
c.read(path)
if section != 'DEFAULT' and not c.has_section(section):
    c.add_section(section)
c.set(section, key, value)
with open(path, 'w') as f:
    c.write(f)
PY
}
iniget() { python3 - "$@" <<'PY'
import configparser, sys
path, section, key = sys.argv[1:4]
c = configparser.RawConfigParser()
c.read(path)
print(c.get(section, key, fallback=''))
PY
}
get_python_exec_prefix() { echo /opt/stack/venv/bin; }
echo_summary() { :; }
die() { record "die $*"; exit 1; }
install_package() { record "install_package $*"; }
setup_develop() { record "setup_develop $*"; }
create_service_user() { record "create_service_user $*"; }
get_or_create_service() { record "get_or_create_service $*"; }
get_or_create_endpoint() { record "get_or_create_endpoint $*"; }
configure_keystone_authtoken_middleware() {
    record "configure_keystone_authtoken_middleware $*"; }
recreate_database() { record "recreate_database $*"; }
database_connection_url() { echo "mysql+pymysql://root@127.0.0.1/$1"; }
run_process() { record "run_process $1|$2|$3|$4"; }
stop_process() { record "stop_process $*"; }
wait_for_service() { record "wait_for_service $*"; }
sudo() { record "sudo $*"; case $1 in
    install) mkdir -p "${@: -1}" ;; rm|docker) "$@" ;; esac; }
# The real Docker only where a test asks for it (HC_REAL_DOCKER=1).
[[ -n ${HC_REAL_DOCKER:-} ]] || docker() { :; }
'''


def test_scripts_parse():
    assert SHELL_SCRIPTS
    for path in SHELL_SCRIPTS:
        subprocess.run(['bash', '-n', path], check=True)


@pytest.mark.skipif(shutil.which('shellcheck') is None,
                    reason='shellcheck is not installed '
                           '(tools/setup-host.sh installs it)')
def test_scripts_pass_shellcheck():
    result = subprocess.run(
        ['shellcheck', '-x', '-s', 'bash'] + SHELL_SCRIPTS,
        capture_output=True, text=True, cwd=base.REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


class Devstack:
    """A directory standing in for a devstack host, and the phase runner."""

    def __init__(self, services, plugin_dirs=None):
        self.root = tempfile.mkdtemp(prefix='hc-devstack-')
        self.heat_conf = os.path.join(self.root, 'heat.conf')
        config = configparser.RawConfigParser()
        if plugin_dirs is not None:
            config.set('DEFAULT', 'plugin_dirs', plugin_dirs)
        with open(self.heat_conf, 'w') as handle:
            config.write(handle)
        self.calls = os.path.join(self.root, 'calls')
        open(self.calls, 'w').close()
        # sudo as a program too, for `... | xargs -r sudo docker ...`.
        bin_dir = os.path.join(self.root, 'bin')
        os.makedirs(bin_dir)
        with open(os.path.join(bin_dir, 'sudo'), 'w') as handle:
            handle.write('#!/bin/bash\nprintf "%s\\n" "sudo $*" >> "$CALLS"\n'
                         '[[ $1 == docker && -z ${HC_REAL_DOCKER:-} ]] && '
                         'exit 0\nexec "$@"\n')
        os.chmod(os.path.join(bin_dir, 'sudo'), 0o755)
        self.env = dict(
            os.environ, CALLS=self.calls, DEST=self.root,
            DATA_DIR=os.path.join(self.root, 'data'), STACK_USER='stack',
            SERVICE_HOST='10.0.0.5', SERVICE_PROTOCOL='http',
            SERVICE_LISTEN_ADDRESS='0.0.0.0', REGION_NAME='RegionOne',
            ENABLE_DEBUG_LOG_LEVEL='True', SERVICE_TIMEOUT='60',
            HEAT_CONF=self.heat_conf, ENABLED_SERVICES=services,
            PATH=bin_dir + os.pathsep + os.environ['PATH'],
            HEAT_CAPSULE_DIR=base.REPO_ROOT,
            HEAT_CAPSULE_CONF_DIR=os.path.join(self.root, 'etc'),
            HEAT_CAPSULE_STATE_DIR=os.path.join(self.root, 'state'))

    def run(self, *phase):
        # stack.sh runs with errexit, and so do the phases here.
        script = (STUBS + 'set -o errexit\nsource %s/settings\n'
                  'source %s/plugin.sh %s\n'
                  % (DEVSTACK_DIR, DEVSTACK_DIR, ' '.join(phase)))
        return subprocess.run(['bash', '-c', script], env=self.env,
                              capture_output=True, text=True)

    def stack(self):
        for phase in ('pre-install', 'install', 'post-config', 'extra'):
            result = self.run('stack', phase)
            assert result.returncode == 0, (phase, result.stderr[-3000:])
        with open(self.calls) as handle:
            return handle.read().splitlines()

    def plugin_dirs(self):
        config = configparser.RawConfigParser()
        config.read(self.heat_conf)
        return config.get('DEFAULT', 'plugin_dirs')

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def devstack():
    made = []

    def make(services='key,h-eng,h-api', plugin_dirs=None):
        made.append(Devstack(services, plugin_dirs))
        return made[-1]

    yield make
    for one in made:
        one.cleanup()


def test_stack_phases_without_zun(devstack):
    host = devstack()
    calls = host.stack()
    plugin_dir = os.path.join(host.root, 'data', 'heat', 'plugins')
    # resources/ linked under a unique name.
    link = os.path.join(plugin_dir, 'heat_capsule')
    assert os.path.realpath(link) == os.path.join(base.REPO_ROOT,
                                                  'resources')
    # Heat's default plugin_dirs kept, ours added.
    assert host.plugin_dirs() == (
        '/usr/lib64/heat,/usr/lib/heat,/usr/local/lib/heat,'
        '/usr/local/lib64/heat,' + plugin_dir)
    assert 'setup_develop %s' % base.REPO_ROOT in calls
    assert 'install_package busybox-static' in calls
    assert 'create_service_user heat-capsule' in calls
    assert ('get_or_create_service heat-capsule container heat-capsule-'
            'engine: Zun-compatible capsules on Docker') in calls
    assert ('get_or_create_endpoint container RegionOne '
            'http://10.0.0.5:9517/v1') in calls
    engine = [c for c in calls if c.startswith('run_process hc-engine|')]
    assert engine == [
        'run_process hc-engine|/opt/stack/venv/bin/heat-capsule-engine '
        '--config-file %s/etc/heat-capsule-engine.conf||root' % host.root]
    # heat-engine is left alone: Heat's own extra phase (which runs before
    # this plugin's) starts it after post-config linked resources/.
    assert not [c for c in calls if 'h-eng' in c]
    assert calls[-1] == 'wait_for_service 60 http://10.0.0.5:9517/'
    config = configparser.RawConfigParser()
    config.read(os.path.join(host.root, 'etc',
                             'heat-capsule-engine.conf'))
    assert config.get('api', 'auth_strategy') == 'keystone'
    assert config.get('api', 'port') == '9517'
    assert config.get('runtime', 'instance_name') == 'devstack'
    assert config.get('isolation', 'subnet_pool') == '10.230.0.0/16'


def test_existing_plugin_dirs_are_merged_once(devstack):
    host = devstack(plugin_dirs='/opt/other-plugins')
    host.stack()
    plugin_dir = os.path.join(host.root, 'data', 'heat', 'plugins')
    assert host.plugin_dirs() == '/opt/other-plugins,' + plugin_dir
    # A second stack.sh does not add it twice.
    host.stack()
    assert host.plugin_dirs() == '/opt/other-plugins,' + plugin_dir


def test_no_endpoint_when_zun_is_enabled(devstack):
    host = devstack(services='key,h-eng,h-api,zun-api,zun-compute')
    calls = host.stack()
    assert not [c for c in calls if 'get_or_create_endpoint' in c]
    assert 'create_service_user heat-capsule' in calls


def test_heat_must_be_configured_first(devstack):
    host = devstack()
    os.remove(host.heat_conf)
    result = host.run('stack', 'post-config')
    assert result.returncode != 0
    with open(host.calls) as handle:
        assert "enable_plugin heat" in handle.read()


def test_unstack_and_clean(devstack):
    host = devstack()
    host.stack()
    assert host.run('unstack').returncode == 0
    assert host.run('clean').returncode == 0
    with open(host.calls) as handle:
        calls = handle.read().splitlines()
    assert 'stop_process hc-engine' in calls
    link = os.path.join(host.root, 'data', 'heat', 'plugins',
                        'heat_capsule')
    assert not os.path.lexists(link)


def _docker(*args):
    return subprocess.run(['docker'] + list(args), capture_output=True,
                          text=True, timeout=120)


def test_clean_removes_every_docker_object_of_the_instance(devstack):
    # Real Docker objects labelled like the engine labels its own: a
    # capsule container on the engine's network with a volume, and the
    # network itself; an object of another instance must survive.
    engine_support.ensure_test_images()
    instance = 'dsclean%s' % uuid.uuid4().hex[:8]
    other = instance + 'other'
    owner = 'io.heat-capsule.engine=%s'
    network, other_network = 'hc-%s' % instance, 'hc-%s' % other
    volume = 'hc-vol-%s' % instance
    try:
        for name, who in ((network, instance), (other_network, other)):
            assert _docker('network', 'create', '--label', owner % who,
                           '--label', 'io.heat-capsule.network=true',
                           name).returncode == 0
        assert _docker('volume', 'create', '--label', owner % instance,
                       volume).returncode == 0
        created = _docker('create', '--label', owner % instance,
                          '--network', network, '-v', volume + ':/data',
                          engine_support.BUSYBOX, 'true')
        assert created.returncode == 0, created.stderr
        container = created.stdout.strip()

        host = devstack()
        host.env.update(HEAT_CAPSULE_INSTANCE=instance, HC_REAL_DOCKER='1')
        result = host.run('clean')
        assert result.returncode == 0, result.stderr[-3000:]
        for kind, name in (('container', container), ('volume', volume),
                           ('network', network)):
            assert _docker(kind, 'inspect', name).returncode != 0, (
                '%s %s survived clean' % (kind, name))
        assert _docker('network', 'inspect', other_network).returncode == 0
    finally:
        with contextlib.suppress(Exception):
            _docker('rm', '-f', *[c for c in _docker(
                'ps', '-aq', '--filter', 'label=' + owner % instance
            ).stdout.split()])
        _docker('volume', 'rm', '-f', volume)
        _docker('network', 'rm', network)
        _docker('network', 'rm', other_network)


def test_readme_local_conf_uses_the_settings_defaults():
    # devstack/README.md's local.conf shows the plugin's knobs with their
    # defaults; each must be a knob of settings with that very default.
    with open(os.path.join(DEVSTACK_DIR, 'README.md')) as handle:
        readme = handle.read()
    with open(os.path.join(DEVSTACK_DIR, 'settings')) as handle:
        settings = handle.read()
    block = readme.split('```ini\n[[local|localrc]]\nADMIN_PASSWORD', 1)[1]
    block = block.split('```', 1)[0]
    assert 'enable_plugin heat-capsule' in block
    assert block.index('enable_plugin heat ') < block.index(
        'enable_plugin heat-capsule')
    knobs = [line.split('=', 1) for line in block.splitlines()
             if line.startswith('HEAT_CAPSULE_')]
    assert len(knobs) >= 3
    for name, value in knobs:
        assert '%s=${%s:-%s}' % (name, name, value) in settings, name

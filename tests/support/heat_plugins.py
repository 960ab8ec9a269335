"""Heat's real start-up plugin loading, run in a fresh interpreter.

:func:`load` runs ``heat.engine.resources.initialise()`` (what heat-engine
does when it starts) in a child Python and returns what Heat's global
environment ended up with. It serves the plugin_dirs unit tests (the
repository's ``resources/``) and the packaging test (the drop-in a wheel
installed, found through a ``heat.conf``).
"""

import json
import os
import subprocess

# argv[1]: JSON list of plugin dirs to set, or null to keep heat.conf's;
# argv[2]: JSON list of modules to make unimportable; argv[3]: a heat.conf
# to read, or "".
DRIVER = r'''
import json
import sys

for name in json.loads(sys.argv[2]):
    sys.modules[name] = None        # "import name" now raises ImportError

from oslo_service import backend
backend.init_backend(backend.BackendType.THREADING)

import os
import types

from oslo_config import cfg
from heat.common import config  # noqa: F401  (registers plugin_dirs etc.)

args = ['--config-file', sys.argv[3]] if sys.argv[3] else []
cfg.CONF(args, project='heat', default_config_files=[])
plugin_dirs = json.loads(sys.argv[1])
if plugin_dirs is not None:
    cfg.CONF.set_override('plugin_dirs', plugin_dirs)
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


def module_file(module):
    return os.path.abspath(getattr(module, '__file__', None) or '/')


def loaded_modules():
    # Heat attaches a plugin module to its package instead of sys.modules.
    found = [m for m in list(sys.modules.values()) if m is not None]
    for module in list(found):
        found.extend(v for v in vars(module).values()
                     if isinstance(v, types.ModuleType))
    return found


constraint = env.get_constraint('zun.capsule')
capsule = type_of('OS::Zun::Capsule')
dirs = [os.path.abspath(d) + os.sep for d in cfg.CONF.plugin_dirs]
print(json.dumps({
    'capsule': capsule,
    'capsule_file': capsule and module_file(sys.modules[
        env.get_class('OS::Zun::Capsule').__module__]),
    'plugin_files': sorted({module_file(m) for m in loaded_modules()
                            if any(module_file(m).startswith(d)
                                   for d in dirs)}),
    'heat_own_type': type_of('OS::Heat::None'),
    'client_plugin': bool(clients.has_client('zun_capsule')),
    'constraint': constraint and '%s.%s' % (constraint.__module__,
                                            constraint.__name__),
}))
'''


def load(python, workdir, plugin_dirs=None, pythonpath=(), block=(),
         config_file=None, timeout=120):
    """Run Heat's plugin loading with ``python``.

    :param python: the interpreter (its environment must hold Heat).
    :param workdir: an existing scratch directory (the driver goes there).
    :param plugin_dirs: list of directories, or None for the config's.
    :param pythonpath: entries for PYTHONPATH (falsy ones are skipped);
        when empty, PYTHONPATH is removed from the child's environment.
    :param block: module names the child cannot import.
    :param config_file: a heat.conf to read, or None.
    :returns: (result dict, the child's stderr); a failing child raises
        AssertionError with its stderr.
    """
    driver = os.path.join(workdir, 'heat_plugin_driver.py')
    with open(driver, 'w') as handle:
        handle.write(DRIVER)
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    path = os.pathsep.join(p for p in pythonpath if p)
    if path:
        env['PYTHONPATH'] = path
    proc = subprocess.run(
        [python, driver, json.dumps(plugin_dirs), json.dumps(list(block)),
         config_file or ''],
        cwd=workdir, env=env, capture_output=True, text=True,
        timeout=timeout)
    assert proc.returncode == 0, 'Heat plugin loading failed:\n' + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr

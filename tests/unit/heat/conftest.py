"""pytest set-up for the Heat-side unit tests (HeatTestCase classes).

1. Select oslo.service's *threading* backend before anything imports Heat.
   Importing ``heat.engine.template`` or ``heat.engine.resources`` first would
   select eventlet, and ``heat.tests.common`` then fails with
   BackendAlreadySelected.
2. Make the repository importable even when heat-capsule is not installed.
3. Point ``environment_dir``/``template_dir`` at the wheel layout:
   HeatTestCase looks for ``<site-packages>/etc/heat`` (the source-tree
   layout) but the wheel installs ``<prefix>/etc/heat``. An override beats the
   ``set_default`` HeatTestCase does; HeatTestCase's own ``cfg.CONF.reset``
   cleanup removes it after each test.
4. Register the ``zun_capsule`` client plugin as the ``heat.clients`` entry
   point would, when the distribution is not installed.

This directory deliberately has no ``__init__.py``: without packages above
it, pytest would import it as a package named ``heat`` and shadow Heat.
"""

import os
import sys

from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                         '..', '..', '..'))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from oslo_config import cfg  # noqa: E402
import pytest  # noqa: E402
from stevedore import enabled  # noqa: E402
from stevedore import extension  # noqa: E402

import heat.common.config  # noqa: E402,F401  (registers the options)
from heat.engine import clients  # noqa: E402

from heat_capsule.heat import client as capsule_client  # noqa: E402
from heat_capsule.heat import template as capsule_template  # noqa: E402


def _heat_etc_dir():
    """The directory holding Heat's environment.d and templates."""
    import heat
    source_layout = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(heat.__file__))), 'etc', 'heat')
    if os.path.isdir(os.path.join(source_layout, 'environment.d')):
        return None   # HeatTestCase finds it on its own
    return os.path.join(sys.prefix, 'etc', 'heat')


@pytest.fixture(autouse=True)
def heat_wheel_layout():
    etc = _heat_etc_dir()
    if etc is None:
        yield
        return
    cfg.CONF.set_override('environment_dir',
                          os.path.join(etc, 'environment.d'))
    cfg.CONF.set_override('template_dir', os.path.join(etc, 'templates'))
    yield
    cfg.CONF.clear_override('environment_dir')
    cfg.CONF.clear_override('template_dir')


@pytest.fixture(autouse=True)
def zun_capsule_client_registered(monkeypatch):
    """Make ``clients.has_client('zun_capsule')`` true, as installing does."""
    clients.initialise()
    if clients.has_client(capsule_template.CLIENT_NAME):
        yield
        return
    ours = extension.Extension(capsule_template.CLIENT_NAME, None,
                               capsule_client.ZunCapsuleClientPlugin, None)
    manager = enabled.EnabledExtensionManager.make_test_instance(
        list(clients._mgr.extensions) + [ours], namespace='heat.clients')
    monkeypatch.setattr(clients, '_mgr', manager)
    yield

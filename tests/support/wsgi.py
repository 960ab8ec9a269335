"""The engine's WSGI app without its runtime, for HTTP-level tests.

Creates are stored but never run (DetachedRuntime): what these tests look
at is the API and the database, not Docker.
"""

from oslo_config import cfg

from heat_capsule.engine import cmd
from heat_capsule.engine import deploy
from heat_capsule.engine import service
from tests.support import schema


def detached_app(state_dir, overrides=None, **api_overrides):
    """``overrides``: {group: {option: value}} beyond ``[api]``."""
    if 'database' not in (overrides or {}):
        schema.seed(str(state_dir))
    conf = cmd.prepare([], cfg.ConfigOpts(), setup_logging=False)
    conf.set_override('state_dir', str(state_dir))
    conf.set_override('enabled', False, 'runtime')
    for name, value in api_overrides.items():
        conf.set_override(name, value, 'api')
    for group, values in (overrides or {}).items():
        for name, value in values.items():
            conf.set_override(name, value, group)
    services = service.make_services(conf)
    services.db.upgrade()
    app = deploy.make_app(services)
    app.services = services    # for tests that set up rows directly
    return app

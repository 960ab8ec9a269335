"""Heat's real engine, in this process, for functional tests.

``HeatRig`` runs Heat the way ``heat-engine`` does, minus the process
boundary: the full ``EngineService`` (which starts its ``WorkerService``, so
stacks go through convergence, Heat's default) listens on oslo.messaging's
``fake://`` transport, and tests talk to it only through
``heat.rpc.client.EngineClient``, exactly as heat-api does. Resource types
come from Heat's own start-up loading, with ``[DEFAULT] plugin_dirs``
pointing at the repository's ``resources/`` directory; the ``zun_capsule``
client plugin comes from its ``heat.clients`` entry point.

What stands in for a cloud:

* Keystone: ``[DEFAULT] keystone_backend`` is Heat's FakeKeystoneClient
  (stack domain projects and users), and every request context carries a
  Keystone v3 token body (``auth_token_info``) whose catalog has one service
  of type ``container`` at the engine's ``http://127.0.0.1:<port>/v1``.
  Heat turns that into a keystoneauth ``AccessInfoPlugin``, so the catalog
  lookup (``ServiceCatalogV3``), the service-availability check and
  python-zunclient's HTTP are the real ones. ``auth_url`` is the discard
  port, so any unexpected call to Keystone fails loudly.
* The database: a sqlite file in the rig's own directory, migrated with
  Heat's ``db_sync``. It is patched into Heat's enginefacade and unpatched on
  stop, so Heat's unit tests that may run later in the same interpreter get
  their usual in-memory database.

Isolation: Heat's options live on the global ``cfg.CONF``, which nothing
else in the test suite uses (the capsule engine runs as its own process, and
in-process engines use their own ``ConfigOpts``). The rig parses it with no
config files, sets what it needs as overrides and resets it on stop.

The oslo.service *threading* backend is selected on import, before any Heat
module is imported; import this module before anything that imports Heat.
"""

from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)

import copy  # noqa: E402
import datetime  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from oslo_config import cfg  # noqa: E402
from oslo_db.sqlalchemy import enginefacade  # noqa: E402
import sqlalchemy  # noqa: E402

from heat.common import config as heat_config  # noqa: E402,F401
from heat.common import context as heat_context  # noqa: E402
from heat.common import messaging as heat_messaging  # noqa: E402
from heat.common import template_format  # noqa: E402
from heat.db import api as db_api  # noqa: E402
from heat.db import migration as db_migration  # noqa: E402
from heat.engine import scheduler  # noqa: E402
from heat.rpc import api as rpc_api  # noqa: E402
from heat.rpc import client as rpc_client  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                         '..', '..'))
RESOURCES_DIR = os.path.join(REPO_ROOT, 'resources')
TEMPLATES_DIR = os.path.join(REPO_ROOT, 'templates')

FAKE_KEYSTONE = ('heat.engine.clients.os.keystone.fake_keystoneclient.'
                 'FakeKeystoneClient')
# Nothing listens on the discard port: a Keystone call would fail at once.
NO_KEYSTONE = 'http://127.0.0.1:9/v3'

# Heat's resource tasks sleep a fixed 1 s between two polls of
# check_*_complete (TaskRunner's default wait_time); nothing in Heat's
# configuration changes it. The rig shortens that sleep to this many seconds
# (see HeatRig._shorten_polling): the "check interval" of every resource.
DEFAULT_POLL_INTERVAL = 0.25

FINAL_STATES = ('COMPLETE', 'FAILED')


def _heat_etc_dir():
    """Where the installed Heat keeps environment.d and templates."""
    import heat
    source_layout = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(heat.__file__))), 'etc', 'heat')
    if os.path.isdir(os.path.join(source_layout, 'environment.d')):
        return source_layout
    return os.path.join(sys.prefix, 'etc', 'heat')


def _catalog_entry(service_type, name, url):
    return {'id': uuid.uuid4().hex, 'type': service_type, 'name': name,
            'endpoints': [{'id': uuid.uuid4().hex, 'interface': interface,
                           'region': 'RegionOne', 'region_id': 'RegionOne',
                           'url': url}
                          for interface in ('public', 'internal', 'admin')]}


def token_body(container_url, project_id, user_id, roles):
    """A Keystone v3 token body with a catalog holding ``container_url``.

    The catalog also lists Keystone itself (at the discard port); with
    ``container_url`` None it has no ``container`` service.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    expires = now + datetime.timedelta(hours=2)
    domain = {'id': 'default', 'name': 'Default'}
    return {'token': {
        'methods': ['token'],
        'issued_at': now.strftime('%Y-%m-%dT%H:%M:%S.000000Z'),
        'expires_at': expires.strftime('%Y-%m-%dT%H:%M:%S.000000Z'),
        'user': {'id': user_id, 'name': 'heat-rig-user', 'domain': domain},
        'project': {'id': project_id, 'name': 'heat-rig-project',
                    'domain': domain},
        'roles': [{'id': uuid.uuid4().hex, 'name': role} for role in roles],
        'catalog': [
            _catalog_entry('identity', 'keystone', NO_KEYSTONE),
        ] + ([_catalog_entry('container', 'heat-capsule-engine',
                             container_url)] if container_url else []),
    }}


class StackTimeout(AssertionError):
    pass


class HeatRig:
    """Heat's EngineService + WorkerService on fake RPC, driven over RPC.

    :param container_url: the ``container`` endpoint (must end in ``/v1``).
    :param plugin_dirs: Heat's ``plugin_dirs``; the repository's
        ``resources/`` by default.
    :param poll_interval: seconds between two polls of a resource's
        ``check_*_complete``; None keeps Heat's 1 s.
    :param database_url: Heat's database; a sqlite file in the rig's
        directory by default. sqlite makes convergence workers queue for
        its single write lock; pass a PostgreSQL URL (as Heat's own
        deployments use) where concurrency matters, as in the benchmarks.
    """

    def __init__(self, container_url, plugin_dirs=None,
                 poll_interval=DEFAULT_POLL_INTERVAL, database_url=None):
        self.container_url = container_url
        self.database_url = database_url
        self.plugin_dirs = list(plugin_dirs or [RESOURCES_DIR])
        self.poll_interval = poll_interval
        self.work_dir = None
        self.project_id = uuid.uuid4().hex
        self.user_id = uuid.uuid4().hex
        self.engine = None
        self.client = None
        self.stacks = []
        self._undo = []

    # -- set-up and tear-down ---------------------------------------------

    def start(self):
        self.work_dir = tempfile.mkdtemp(prefix='hc-heat-')
        try:
            self._configure()
            self._database()
            heat_messaging.setup('fake://', optional=True)
            self._undo.append(heat_messaging.cleanup)
            self._shorten_polling()
            self._fresh_global_environment()
            # Imported only now: importing the service module pulls in the
            # resource plugins' modules, which read the configuration.
            from heat.engine import service as engine_service
            self.engine = engine_service.EngineService(
                cfg.CONF.host, rpc_api.ENGINE_TOPIC)
            self.engine.start()
            self._undo.append(self.engine.stop)
            self._undo.append(self._cancel_running_work)
            self.client = rpc_client.EngineClient()
        except BaseException:
            self.stop()
            raise
        return self

    def _configure(self):
        cfg.CONF([], project='heat', prog='heat-engine',
                 default_config_files=[], default_config_dirs=[])
        self._undo.append(cfg.CONF.reset)
        cfg.CONF.import_opt(
            'keystone_backend',
            'heat.engine.clients.os.keystone.heat_keystoneclient')
        etc = _heat_etc_dir()
        for name, value, group in (
                ('plugin_dirs', self.plugin_dirs, None),
                ('environment_dir', os.path.join(etc, 'environment.d'),
                 None),
                ('template_dir', os.path.join(etc, 'templates'), None),
                ('keystone_backend', FAKE_KEYSTONE, None),
                # 'trusts' would ask Keystone for a trust on every store().
                ('deferred_auth_method', 'password', None),
                ('convergence_engine', True, None),
                # The service report timer, and how long stop() may wait.
                ('periodic_interval', 1, None),
                # A failed create fails the stack at once, no re-create.
                ('action_retry_limit', 0, None),
                ('error_wait_time', 1, None),
                ('auth_uri', NO_KEYSTONE, 'clients_keystone')):
            cfg.CONF.set_override(name, value, group)

    def _database(self):
        """A sqlite file that concurrent convergence workers can share.

        oslo.db opens every sqlite transaction with a deferred ``BEGIN``
        (its own "begin" listener). Two workers that both read and then
        write deadlock inside SQLite, and one of them fails at once with
        "database is locked" (SQLite skips the busy wait when waiting could
        deadlock), which fails a resource or a stack at random. Here that
        listener is replaced by one that emits ``BEGIN IMMEDIATE`` (the
        write lock up front), so transactions queue for up to the
        connection timeout instead. oslo.db's commit/rollback listener
        still clears the same transaction marker.
        """
        path = os.path.join(self.work_dir, 'heat.sqlite')
        manager = enginefacade.transaction_context()
        manager.configure(
            connection=self.database_url or 'sqlite:///%s?timeout=60' % path,
            sqlite_synchronous=False)
        restore = db_api.context_manager.patch_factory(manager)

        def unpatch():
            manager.dispose_pool()
            restore()
        self._undo.append(unpatch)
        if self.database_url:
            db_migration.db_sync()
            return
        # Migrations first, with oslo.db's BEGIN: alembic inspects the
        # schema on a second connection while its own one is in a
        # transaction, which BEGIN IMMEDIATE would deadlock.
        db_migration.db_sync()

        engine = manager.writer.get_engine()
        for listener in list(engine.dispatch.begin):
            if getattr(listener, '__name__', '') == '_sqlite_emit_begin':
                sqlalchemy.event.remove(engine, 'begin', listener)

        def begin_immediate(conn):
            if 'in_transaction' not in conn.info:
                conn.exec_driver_sql('BEGIN IMMEDIATE')
                conn.info['in_transaction'] = True

        sqlalchemy.event.listen(engine, 'begin', begin_immediate)
        if [getattr(f, '__name__', '') for f in engine.dispatch.begin] != [
                'begin_immediate']:
            raise RuntimeError('unexpected sqlite "begin" listeners: %s'
                               % list(engine.dispatch.begin))

    def _fresh_global_environment(self):
        """Make EngineService run Heat's start-up plugin loading again.

        ``resources.initialise()`` (called by EngineService) loads the
        plugins once per process. Something else in this interpreter (Heat's
        unit tests) may have done it already, without our plugin_dirs, so
        the global environment is dropped for the rig's lifetime and put
        back on stop.
        """
        from heat.engine import resources
        previous = resources._environment
        resources._environment = None

        def restore():
            resources._environment = previous
        self._undo.append(restore)

    def _shorten_polling(self):
        if self.poll_interval is None:
            return
        original = scheduler.TaskRunner._sleep
        interval = self.poll_interval

        def _sleep(runner, wait_time):
            if wait_time:
                wait_time = min(wait_time, interval)
            return original(runner, wait_time)

        scheduler.TaskRunner._sleep = _sleep

        def restore():
            scheduler.TaskRunner._sleep = original
        self._undo.append(restore)

    def _cancel_running_work(self):
        """Ask every resource task still running to stop at its next step.

        EngineService.stop() waits for its threads, and native threads
        cannot be killed: without this a resource stuck polling (a test
        that failed half-way) would hold the stop until the stack timeout.
        """
        manager = self.engine.thread_group_mgr
        if manager is None:
            return
        for stack_id in list(manager.groups):
            manager.send(stack_id, rpc_api.THREAD_CANCEL)

    def stop(self):
        """Stop Heat and undo every global change, newest first."""
        while self._undo:
            undo = self._undo.pop()
            try:
                undo()
            except Exception as exc:  # keep undoing the rest
                print('heat_rig: %s failed during stop: %s' % (undo, exc),
                      file=sys.stderr)
        self.engine = self.client = None
        if self.work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir = None

    # -- requests, as heat-api makes them ---------------------------------

    def context(self, roles=('member', 'reader'), catalog=True):
        """A request context like the one heat-api builds for a token.

        ``catalog=False`` leaves the ``container`` service out of the
        token's catalog.
        """
        body = token_body(self.container_url if catalog else None,
                          self.project_id, self.user_id, list(roles))
        return heat_context.RequestContext(
            auth_token=uuid.uuid4().hex,
            auth_token_info=body,
            auth_url=NO_KEYSTONE,
            username='heat-rig-user',
            password='unused',    # deferred_auth_method=password stores it
            user_id=self.user_id,
            project_id=self.project_id,
            project_name='heat-rig-project',
            user_domain_id='default',
            project_domain_id='default',
            roles=list(roles),
            is_admin=False)

    @staticmethod
    def parse(template):
        if isinstance(template, dict):
            return copy.deepcopy(template)
        return template_format.parse(template)

    @staticmethod
    def read_template(name):
        with open(os.path.join(TEMPLATES_DIR, name)) as handle:
            return handle.read()

    def resource_schema(self, type_name):
        return self.client.resource_schema(self.context(), type_name)

    def create_stack(self, name, template, parameters=None,
                     timeout_mins=5):
        """Ask for a stack; return its identity (a dict), not waiting."""
        identity = self.client.create_stack(
            self.context(), name, self.parse(template),
            {'parameters': parameters or {}}, {},
            {rpc_api.PARAM_TIMEOUT: timeout_mins,
             rpc_api.PARAM_DISABLE_ROLLBACK: True})
        self.stacks.append(identity)
        return identity

    def update_stack(self, identity, template, parameters=None):
        return self.client.update_stack(
            self.context(), identity, self.parse(template),
            {'parameters': parameters or {}}, {},
            {rpc_api.PARAM_TIMEOUT: 5,
             rpc_api.PARAM_DISABLE_ROLLBACK: True})

    def delete_stack(self, identity):
        self.client.delete_stack(self.context(), identity)

    def show_stack(self, identity, resolve_outputs=True):
        return self.client.show_stack(self.context(), identity,
                                      resolve_outputs=resolve_outputs)[0]

    def outputs(self, identity):
        """The stack's outputs as {key: value}; errors raise."""
        result = {}
        for output in self.show_stack(identity)[rpc_api.STACK_OUTPUTS]:
            if output.get(rpc_api.OUTPUT_ERROR):
                raise AssertionError('output %s: %s' % (
                    output[rpc_api.OUTPUT_KEY],
                    output[rpc_api.OUTPUT_ERROR]))
            result[output[rpc_api.OUTPUT_KEY]] = output[rpc_api.OUTPUT_VALUE]
        return result

    def resource(self, identity, name, with_attr=None):
        """describe_stack_resource; ``with_attr`` lists extra attributes.

        Given a list (even empty), the answer has ``attributes``: the
        resource's ``show`` attribute plus the listed ones, as heat-api's
        ``resource show --with-attr`` gives them.
        """
        return self.client.describe_stack_resource(
            self.context(), identity, name,
            with_attr=list(with_attr) if with_attr is not None else False)

    def resources(self, identity):
        return self.client.list_stack_resources(self.context(), identity)

    def wait(self, identity, action, timeout=60):
        """Wait until the stack's ``action`` is COMPLETE or FAILED.

        Return the stack as show_stack gives it (outputs not resolved).
        """
        deadline = time.monotonic() + timeout
        stack = None
        while time.monotonic() < deadline:
            stack = self.show_stack(identity, resolve_outputs=False)
            if (stack[rpc_api.STACK_ACTION] == action
                    and stack[rpc_api.STACK_STATUS] in FINAL_STATES):
                return stack
            time.sleep(0.2)
        raise StackTimeout('stack %s did not finish %s within %ss: %s %s'
                           % (identity.get('stack_name'), action, timeout,
                              stack and stack[rpc_api.STACK_STATUS],
                              stack and stack[rpc_api.STACK_STATUS_DATA]))

    def wait_deleted(self, identity, timeout=60):
        """Wait until the stack's delete is COMPLETE or FAILED; return it.

        A stack that cannot be found any more counts as deleted.
        """
        try:
            return self.wait(identity, 'DELETE', timeout=timeout)
        except StackTimeout:
            raise
        except Exception as exc:
            if 'NotFound' not in type(exc).__name__:
                raise
            return {rpc_api.STACK_ACTION: 'DELETE',
                    rpc_api.STACK_STATUS: 'COMPLETE'}

    def delete_all(self, timeout=60):
        """Delete every stack this rig created that still exists."""
        live = {s[rpc_api.STACK_ID]['stack_id'] for s in
                self.client.list_stacks(self.context())}
        waiting = []
        for identity in self.stacks:
            if identity['stack_id'] in live:
                try:
                    self.delete_stack(identity)
                    waiting.append(identity)
                except Exception as exc:
                    print('heat_rig: delete of %s failed: %s'
                          % (identity['stack_name'], exc), file=sys.stderr)
        for identity in waiting:
            self.wait_deleted(identity, timeout=timeout)

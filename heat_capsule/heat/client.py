"""The ``zun_capsule`` Heat client plugin and the ``zun.capsule`` constraint.

Heat's own ``zun`` client plugin only allows microversions 1.12, 1.18 and
1.36, and capsule ``tty``/``stdin`` (1.37) and ``annotations`` (1.38) need
more, so this package ships its own plugin under its own name. Both are
registered through entry points (setup.cfg)::

    [heat.clients]
    zun_capsule = heat_capsule.heat.client:ZunCapsuleClientPlugin
    [heat.constraints]
    zun.capsule = heat_capsule.heat.client:CapsuleConstraint

Microversion choice: the plugin pins ``1.40`` instead of negotiating
``latest``. 1.40 is the maximum of Zun 18, of python-zunclient 5.5 and of the
bundled engine, so the wire format (the >= 1.32 capsule view) is the same
everywhere and no extra ``GET /`` discovery round trip is made per client.
A service that cannot serve 1.40 rejects the request (406) instead of
silently dropping fields the template relies on.

The service type stays ``container``: the client finds the bundled engine or
a real Zun through the Keystone catalog, whichever is registered there.

Options (heat.conf), in ``[clients_zun_capsule]``: Heat's per-client ones
(``endpoint_type``, ``ca_file``, ...; unset ones fall back to
``[clients]``); ``unreachable_timeout``, how long a create or delete that
waits on a capsule tolerates an unreachable service (see
``OS::Zun::Capsule``); ``request_timeout``, how long one request may take;
``stable_seconds``, how long app containers must run before the resource
counts them as started.
"""

from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from zunclient import client as zun_client
from zunclient import exceptions as zc_exc

from heat.common import config as heat_config
from heat.common import exception
from heat.common.i18n import _
from heat.engine.clients import client_plugin
from heat.engine import constraints

from heat_capsule.heat import template

CLIENT_NAME = template.CLIENT_NAME

OPT_GROUP = 'clients_' + CLIENT_NAME
UNREACHABLE_TIMEOUT = cfg.IntOpt(
    'unreachable_timeout', default=120, min=1,
    help=_('Seconds the container service may stay unreachable (connection '
           'refused or timed out, HTTP 502/503/504) while an '
           'OS::Zun::Capsule create or delete waits on a capsule; the '
           'resource then fails. The stack\'s timeout bounds the wait too.'))
REQUEST_TIMEOUT = cfg.IntOpt(
    'request_timeout', default=60, min=1,
    help=_('Seconds one request to the container service may take before '
           'it counts as unreachable (timed out). Heat\'s shared Keystone '
           'session has no timeout, so without this a service that accepts '
           'connections but never answers would hold a create or delete '
           'forever.'))
STABLE_SECONDS = cfg.FloatOpt(
    'stable_seconds', default=1.0, min=0, max=60,
    help=_('Seconds every app container of an OS::Zun::Capsule must have '
           'been running in its current run, never restarted, before the '
           'resource is CREATE_COMPLETE (or CHECK_COMPLETE), so that a '
           'container that exits a moment after its start fails the '
           'resource instead of passing it (see the resource\'s '
           'description). 0 completes on the first reading that shows '
           'every container running.'))
# Heat's own per-client options must be in the group as well: Heat looks
# endpoint_type up in [clients_<name>] first and fails on a group that
# exists without it.
cfg.CONF.register_opts(heat_config.clients_opts + [UNREACHABLE_TIMEOUT,
                                                   REQUEST_TIMEOUT,
                                                   STABLE_SECONDS],
                       group=OPT_GROUP)

# HTTP answers that mean "nothing is serving behind this address right now"
# (a proxy or load balancer in front of a restarting service).
UNAVAILABLE_STATUSES = (502, 503, 504)


class ServiceUnreachable(exception.Error):
    """The container service could not be reached."""


class ActionUnsupported(exception.Error):
    """The container service has no such capsule action (a real Zun)."""


def bound_requests(http_client, seconds):
    """Give every request of a zunclient SessionClient a timeout.

    zunclient passes no timeout and Heat's session has none; keystoneauth
    hands a ``timeout`` keyword on to requests, and turns an expired one
    into ConnectTimeout, which is_unreachable() recognises.
    """
    send = http_client._http_request

    def timed(url, method, **kwargs):
        kwargs.setdefault('timeout', seconds)
        return send(url, method, **kwargs)

    http_client._http_request = timed


class ZunCapsuleClientPlugin(client_plugin.ClientPlugin):
    """Client plugin for capsules on a Zun-compatible ``container`` service.

    The endpoint comes from the request's Keystone session and catalog, its
    interface from Heat's ``[clients] endpoint_type``, the region from the
    request context (or ``region_name_for_services``), exactly as for
    Heat's own ``zun`` plugin.
    """

    exceptions_module = zc_exc

    service_types = [CONTAINER] = ['container']

    default_version = template.MICROVERSION

    supported_versions = [V1_40] = [template.MICROVERSION]

    def _create(self, version=None):
        interface = self._get_client_option(CLIENT_NAME, 'endpoint_type')
        client = zun_client.Client(
            version or self.default_version,
            session=self.context.keystone_session,
            service_type=self.CONTAINER,
            interface=interface,
            region_name=self._get_region_name())
        bound_requests(client.http_client,
                       cfg.CONF[OPT_GROUP].request_timeout)
        return client

    def _get_service_name(self):
        # Used by ClientPlugin.client() to report an unsupported version;
        # the base class does not define it.
        return self.CONTAINER

    def is_not_found(self, ex):
        return isinstance(ex, zc_exc.NotFound)

    def is_over_limit(self, ex):
        return isinstance(ex, zc_exc.RequestEntityTooLarge)

    def is_conflict(self, ex):
        return isinstance(ex, zc_exc.Conflict)

    def is_unreachable(self, ex):
        """Whether ``ex`` says the service could not be reached at all.

        Connection failures and timeouts (keystoneauth's, or zunclient's
        own), and 502/503/504 answers; not an answer of the service itself.
        """
        if isinstance(ex, (ks_exc.ConnectionError, zc_exc.ConnectionError)):
            return True
        return (isinstance(ex, zc_exc.HttpError)
                and ex.http_status in UNAVAILABLE_STATUSES)

    @staticmethod
    def unreachable_timeout():
        return cfg.CONF[OPT_GROUP].unreachable_timeout

    @staticmethod
    def stable_seconds():
        return cfg.CONF[OPT_GROUP].stable_seconds

    def endpoint(self):
        """The service's URL in the catalog, for messages; None if unknown."""
        try:
            return self.url_for(
                service_type=self.CONTAINER,
                endpoint_type=self._get_client_option(CLIENT_NAME,
                                                      'endpoint_type'))
        except Exception:
            return None

    def unreachable_error(self, ex, waited=None):
        """A ServiceUnreachable naming the endpoint and the root cause.

        ``waited``: seconds the service has been unreachable, if known.
        """
        where = self.endpoint()
        service = (_('The container service at %s') % where if where
                   else _('The container service'))
        if waited is None:
            message = _('%(service)s is unreachable: %(error)s')
        else:
            message = _('%(service)s has been unreachable for %(waited)d s: '
                        '%(error)s')
        return ServiceUnreachable(message % {
            'service': service, 'waited': waited, 'error': root_cause(ex)})

    def capsule_action(self, capsule_id, action):
        """POST ``/capsules/{capsule_id}/{action}`` (template.PAUSE,
        template.UNPAUSE).

        An engine extension: a real Zun answers 404 or 405 for these URLs.
        A 405, or a 404 for a capsule that a GET still finds, raises
        ActionUnsupported; a 404 for a missing capsule and any other error
        are zunclient's exceptions as they come (409: not in a state for
        it).
        """
        path = '/capsules/%s/%s' % (capsule_id, action)
        client = self.client()
        try:
            client.http_client.json_request(
                'POST', path, headers={'Content-Length': '0'})
        except (zc_exc.NotFound, zc_exc.MethodNotAllowed) as exc:
            if isinstance(exc, zc_exc.NotFound) and \
                    not self._capsule_exists(client, capsule_id):
                raise
            raise ActionUnsupported(
                _('The container service at %(where)s cannot %(action)s '
                  'capsules (HTTP %(code)s for POST %(path)s): capsule '
                  'pause and unpause are an extension of the heat-capsule '
                  'engine that Zun does not have.')
                % {'where': self.endpoint() or _('(unknown)'),
                   'action': action, 'code': exc.http_status,
                   'path': path}) from exc

    @staticmethod
    def _capsule_exists(client, capsule_id):
        try:
            return client.capsules.get(capsule_id) is not None
        except zc_exc.NotFound:
            return False

    def get_capsule(self, capsule):
        """Return the UUID of a capsule given by name or UUID.

        :raises heat.common.exception.EntityNotFound: if there is none.
        """
        try:
            found = self.client().capsules.get(capsule)
        except zc_exc.NotFound:
            found = None
        if found is None:
            raise exception.EntityNotFound(entity='Capsule', name=capsule)
        return found.uuid


def root_cause(ex):
    """The text of the innermost OS error behind ``ex``.

    E.g. "[Errno 111] Connection refused" rather than the layers of
    keystoneauth, requests and urllib3 messages wrapped around it; ``str(ex)``
    when there is no such error.
    """
    found, seen = None, set()
    cause = ex
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.strerror:
            found = cause
        cause = cause.__cause__ or cause.__context__
    return str(found if found is not None else ex)


class CapsuleConstraint(constraints.BaseCustomConstraint):
    """``custom_constraint: zun.capsule``: the value names an existing capsule.

    Accepts a capsule name or UUID visible to the requesting project.
    """

    expected_exceptions = (exception.EntityNotFound, zc_exc.NotFound)

    resource_client_name = CLIENT_NAME
    resource_getter_name = 'get_capsule'

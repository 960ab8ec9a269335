"""The URL map and the dispatcher that every API request goes through.

The dispatcher normalises the path (repeated and trailing slashes; the
unversioned ``/capsules`` form that python-zunclient uses when its endpoint
has no ``/v1``), negotiates the microversion, builds the request context,
calls one handler and turns every error into Zun's envelope. Client input
never reaches the WSGI server as an exception.
"""

import re
import time

from oslo_log import log as logging
import webob

from heat_capsule.engine import context as context_mod
from heat_capsule.engine import errors
from heat_capsule.engine.handlers import capsule as capsule_handlers
from heat_capsule.engine.handlers import container as container_handlers
from heat_capsule.engine.handlers import endpoint as endpoint_handlers
from heat_capsule.engine.handlers import openapi as openapi_handlers
from heat_capsule.engine.handlers import pause as pause_handlers
from heat_capsule.engine.handlers import quota as quota_handlers
from heat_capsule.engine.handlers import root as root_handlers
from heat_capsule.engine.handlers import volume as volume_handlers
from heat_capsule.engine import microversion
from heat_capsule.engine.views import error as error_view

LOG = logging.getLogger(__name__)

_CAPSULES = r'(?:/v1)?/capsules'
# (pattern, {method: handler}, versioned, needs a context)
ROUTES = [
    (r'', {'GET': root_handlers.versions}, False),
    (r'/v1', {'GET': root_handlers.v1}, True),
    (r'/v1/openapi\.json', {'GET': openapi_handlers.document}, True),
    (_CAPSULES, {'GET': capsule_handlers.list_capsules,
                 'POST': capsule_handlers.create_capsule}, True),
    (_CAPSULES + r'/(?P<ident>[^/]+)',
     {'GET': capsule_handlers.show_capsule,
      'DELETE': capsule_handlers.delete_capsule}, True),
    (_CAPSULES + r'/(?P<ident>[^/]+)/volumes',
     {'GET': capsule_handlers.list_capsule_volumes}, True),
    (_CAPSULES + r'/(?P<ident>[^/]+)/pause',
     {'POST': pause_handlers.pause_capsule}, True),
    (_CAPSULES + r'/(?P<ident>[^/]+)/unpause',
     {'POST': pause_handlers.unpause_capsule}, True),
    (_CAPSULES + r'/(?P<ident>[^/]+)/endpoints',
     {'GET': endpoint_handlers.list_capsule_endpoints}, True),
    (r'(?:/v1)?/containers/(?P<container_ident>[^/]+)/logs',
     {'GET': container_handlers.container_logs}, True),
    (r'(?:/v1)?/quotas/(?P<project_id>[^/]+)',
     {'GET': quota_handlers.show_quotas, 'PUT': quota_handlers.update_quotas,
      'DELETE': quota_handlers.delete_quotas}, True),
    (r'(?:/v1)?/quotas/(?P<project_id>[^/]+)/defaults',
     {'GET': quota_handlers.default_quotas}, True),
    (r'(?:/v1)?/quota_classes/(?P<quota_class_name>[^/]+)',
     {'GET': quota_handlers.show_quota_class,
      'PUT': quota_handlers.update_quota_class}, True),
    (r'(?:/v1)?/volumes', {'GET': volume_handlers.list_volumes}, True),
    (r'(?:/v1)?/volumes/(?P<volume_uuid>[^/]+)',
     {'GET': volume_handlers.show_volume,
      'DELETE': volume_handlers.delete_volume}, True),
]
_COMPILED = [(re.compile('^%s/?$' % pattern), methods, versioned)
             for pattern, methods, versioned in ROUTES]
_SLASHES = re.compile('/{2,}')


class Request(webob.Request):
    """A request with what the dispatcher worked out attached."""
    services = None   # heat_capsule.engine.service.Services
    version = None    # (major, minor) or None for unversioned routes
    urlvars = None
    _context = None

    @property
    def context(self):
        if self._context is None:
            self._context = context_mod.from_environ(
                self.environ, self.services.enforcer)
        return self._context

    @property
    def host_url_for_links(self):
        public = self.services.conf.api.public_endpoint
        return public.rstrip('/') if public else self.host_url

    @property
    def request_id(self):
        return self.environ.get('openstack.request_id', '')


def _match(path):
    for regex, methods, versioned in _COMPILED:
        match = regex.match(path)
        if match:
            return methods, versioned, match.groupdict()
    return None, False, {}


class Dispatcher:
    def __init__(self, services):
        self.services = services

    def __call__(self, environ, start_response):
        started = time.monotonic()
        req = Request(environ)
        req.services = self.services
        path = _SLASHES.sub('/', req.path_info).rstrip('/')
        methods, versioned, urlvars = _match(path)
        version_headers = []
        try:
            if versioned:
                version_headers = microversion.response_headers(None)
                try:
                    req.version = microversion.parse_header(
                        req.headers.get(microversion.HEADER))
                except microversion.VersionNotAcceptable as exc:
                    raise errors.NotAcceptable(str(exc))
                version_headers = microversion.response_headers(req.version)
            if methods is None:
                raise errors.NotFound('The resource %s could not be found.'
                                      % req.path_info)
            handler = methods.get(req.method)
            if handler is None:
                allow = ', '.join(sorted(methods))
                raise errors.MethodNotAllowed(
                    'The method %s is not allowed on %s; allowed: %s.'
                    % (req.method, req.path_info, allow),
                    headers=[('Allow', allow)])
            req.urlvars = urlvars
            resp = handler(req)
        except errors.APIError as exc:
            resp = self._error(req, exc.status, exc.code, exc.title,
                               exc.detail, exc.headers)
        except Exception:  # noqa: a bug of ours must still answer in JSON
            LOG.exception('Unexpected error in %s %s (request %s)',
                          req.method, req.path_info, req.request_id)
            resp = self._error(
                req, 500, 'internal-server-error', 'Internal Server Error',
                'The engine hit an unexpected error; its log has the '
                'details under request %s.' % req.request_id, [])
        for name, value in version_headers:
            resp.headers[name] = value
        # The access log: one line per request, with its request id.
        LOG.info('%s "%s %s" status: %s len: %s microversion: %s time: '
                 '%.4f', req.remote_addr, req.method, req.path_qs,
                 resp.status_int, resp.content_length or 0,
                 microversion.to_string(req.version) if req.version
                 else '-', time.monotonic() - started)
        return resp(environ, start_response)

    @staticmethod
    def _error(req, status, code, title, detail, headers):
        resp = webob.Response(
            status=status, content_type='application/json', charset=None,
            body=error_view.envelope(status, code, title, detail,
                                     req.request_id))
        for name, value in headers:
            resp.headers[name] = value
        return resp

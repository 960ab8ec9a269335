"""Authentication middleware: noauth or keystonemiddleware auth_token.

The version documents (``/`` and ``/v1``) are public in both modes, as in
Zun.

noauth trusts whatever identity a caller names, so it is meant for
loopback only: :func:`check_exposure` refuses a non-loopback ``[api]
listen`` with it unless ``[api] allow_insecure_noauth`` is set, and then the
engine warns at start and at the first request from each client address.
"""

import ipaddress
import socket
import threading

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# Client addresses a noauth engine on the network remembers having warned
# about; past that many, it warns once more and then stops.
WARNED_ADDRESSES_MAX = 256

PUBLIC_PATHS = ('', '/', '/v1', '/v1/')


class NoAuth:
    """Trust the identity headers; fill in configured defaults.

    Any token (or none) is accepted: this is for a single-user engine on
    127.0.0.1 and for tests.  On a non-loopback address (allowed by
    ``allow_insecure_noauth``) the first request from each client address
    logs a WARNING naming the identity it claimed.
    """

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf
        self._exposed = not is_loopback(conf.api.listen)
        self._warned = set()
        self._warned_lock = threading.Lock()

    def __call__(self, environ, start_response):
        api = self.conf.api
        if self._exposed:
            self._warn_first_use(environ)
        environ.setdefault('HTTP_X_PROJECT_ID', api.noauth_project_id)
        environ.setdefault('HTTP_X_USER_ID', api.noauth_user_id)
        environ.setdefault('HTTP_X_ROLES', ','.join(api.noauth_roles))
        environ.setdefault('HTTP_X_IDENTITY_STATUS', 'Confirmed')
        return self.app(environ, start_response)

    def _warn_first_use(self, environ):
        client = environ.get('REMOTE_ADDR') or 'unknown'
        with self._warned_lock:
            if client in self._warned or \
                    len(self._warned) > WARNED_ADDRESSES_MAX:
                return
            self._warned.add(client)
            full = len(self._warned) > WARNED_ADDRESSES_MAX
        LOG.warning(
            'noauth request from %s on non-loopback %s: it acts as project '
            '%s with roles %s, as it claims, unauthenticated%s',
            client, self.conf.api.listen,
            environ.get('HTTP_X_PROJECT_ID', self.conf.api.noauth_project_id),
            environ.get('HTTP_X_ROLES', ','.join(self.conf.api.noauth_roles)),
            ' (further client addresses are not logged)' if full else '')


class PublicRoutes:
    """Send the public version documents around the auth middleware."""

    def __init__(self, app, authenticated_app):
        self.app = app
        self.authenticated_app = authenticated_app

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '') in PUBLIC_PATHS:
            return self.app(environ, start_response)
        return self.authenticated_app(environ, start_response)


def is_loopback(host):
    """Whether every address `host` (an IP or a name) stands for is
    loopback; False for wildcards (0.0.0.0, ::) and unresolvable names."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(
        ipaddress.ip_address(info[4][0].split('%')[0]).is_loopback
        for info in infos)


class InsecureNoauth(Exception):
    """noauth on a non-loopback address without allow_insecure_noauth."""


def check_exposure(conf):
    """Refuse noauth on an address other machines may reach.

    :raises InsecureNoauth: ``auth_strategy = noauth``, ``listen`` not
        loopback and ``allow_insecure_noauth`` false.  With the override,
        logs a WARNING instead.
    """
    api = conf.api
    if api.auth_strategy != 'noauth' or is_loopback(api.listen):
        return
    if not api.allow_insecure_noauth:
        raise InsecureNoauth(
            'refusing to start: [api] auth_strategy = noauth on [api] '
            'listen = %s, which is not a loopback address. In noauth mode '
            'any caller names its own project and roles (admin included). '
            'Use auth_strategy = keystone, listen on 127.0.0.1, or set [api] '
            'allow_insecure_noauth = true to accept this.' % api.listen)
    LOG.warning(
        'INSECURE: auth_strategy = noauth on non-loopback address %s '
        '(allow_insecure_noauth = true): anyone who reaches port %s can '
        'run workloads as any project, admin included.', api.listen,
        api.port)


def wrap(app, conf):
    if conf.api.auth_strategy == 'keystone':
        # Imported only when used: it brings keystoneclient and friends,
        # a good part of a noauth engine's memory otherwise.
        from keystonemiddleware import auth_token
        protected = auth_token.AuthProtocol(
            app, {'oslo_config_config': conf})
    else:
        protected = NoAuth(app, conf)
    return PublicRoutes(app, protected)

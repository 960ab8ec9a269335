"""Authentication middleware: noauth or keystonemiddleware auth_token.

The version documents (``/`` and ``/v1``) are public in both modes, as in
Zun.
"""

PUBLIC_PATHS = ('', '/', '/v1', '/v1/')


class NoAuth:
    """Trust the identity headers; fill in configured defaults.

    Any token (or none) is accepted: this is for a single-user engine on
    127.0.0.1 and for tests.
    """

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf

    def __call__(self, environ, start_response):
        api = self.conf.api
        environ.setdefault('HTTP_X_PROJECT_ID', api.noauth_project_id)
        environ.setdefault('HTTP_X_USER_ID', api.noauth_user_id)
        environ.setdefault('HTTP_X_ROLES', ','.join(api.noauth_roles))
        environ.setdefault('HTTP_X_IDENTITY_STATUS', 'Confirmed')
        return self.app(environ, start_response)


class PublicRoutes:
    """Send the public version documents around the auth middleware."""

    def __init__(self, app, authenticated_app):
        self.app = app
        self.authenticated_app = authenticated_app

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '') in PUBLIC_PATHS:
            return self.app(environ, start_response)
        return self.authenticated_app(environ, start_response)


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

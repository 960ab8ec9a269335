"""The WSGI middleware stack, built explicitly from the outside in:

request id -> authentication (noauth or keystone; version documents are
public) -> dispatcher (microversions, context, handlers, error envelope).
"""

from oslo_middleware import request_id

from heat_capsule.engine import auth
from heat_capsule.engine import handler


def make_app(services):
    app = handler.Dispatcher(services)
    app = auth.wrap(app, services.conf)
    return request_id.RequestId(app)

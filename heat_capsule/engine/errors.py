"""API errors: each one's HTTP status and Zun's code.

Every error leaves the engine in Zun's envelope (``views.error``) with
``code`` = ``container.<kebab-case error name>``, like Zun, but with the
real request id in the body (Zun always sends an empty one).
"""


class APIError(Exception):
    status = 500
    code = 'internal-server-error'
    title = 'Internal Server Error'

    def __init__(self, detail=None, title=None, headers=None):
        super().__init__(detail or self.title)
        self.detail = detail or title or self.title
        # python-zunclient shows the title as the error message, so it
        # carries the specific text (as Zun's own errors do).
        self.title = title or detail or self.title
        self.headers = headers or []


class BadRequest(APIError):
    status = 400
    code = 'invalid'
    title = 'Bad Request'


class SchemaValidationError(BadRequest):
    code = 'schema-validation-error'


class InvalidParameterValue(BadRequest):
    code = 'invalid-parameter-value'


class Forbidden(APIError):
    status = 403
    code = 'policy-not-authorized'
    title = 'Forbidden'


class NotFound(APIError):
    status = 404
    code = 'not-found'
    title = 'Not Found'


class CapsuleNotFound(NotFound):
    code = 'capsule-not-found'


class ContainerNotFound(NotFound):
    code = 'container-not-found'


class VolumeNotFound(NotFound):
    code = 'volume-not-found'


class MethodNotAllowed(APIError):
    status = 405
    code = 'method-not-allowed'
    title = 'Method Not Allowed'


class NotAcceptable(APIError):
    status = 406
    code = 'microversion-unsupported'
    title = 'Not Acceptable'


class Conflict(APIError):
    status = 409
    code = 'conflict'
    title = 'Conflict'


class InvalidState(Conflict):
    """The object exists but cannot do that now (Zun's code for it)."""
    code = 'invalid-state-exception'


class RequestTooLarge(APIError):
    status = 413
    code = 'request-entity-too-large'
    title = 'Request Entity Too Large'


class UnsupportedMediaType(APIError):
    status = 415
    code = 'unsupported-media-type'
    title = 'Unsupported Media Type'


class ServiceUnavailable(APIError):
    status = 503
    code = 'service-unavailable'
    title = 'Service Unavailable'


class OverQuota(Forbidden):
    """A create that would take its project over a quota (Zun: 403)."""
    code = 'over-quota'


class InsufficientCapacity(Conflict):
    """The Docker host cannot hold what a capsule requests."""
    code = 'resources-unavailable'

"""``GET /v1/openapi.json``: an OpenAPI 3.0 description of the API.

Built as a plain dict from the same sources the engine uses: the request
body schema is ``schemas.capsule.CREATE`` itself, the version range comes
from ``microversion``. ``tests/unit/test_openapi.py`` checks that every
route of ``handler.ROUTES`` (and each of its methods) is described here.

The document is served behind authentication like every other ``/v1``
path except the version document: it describes nothing secret, but the
version documents are the only public paths Zun has, and keeping the
public surface to those keeps a keystone-mode engine unchanged for its
operators.

The JSON schema keeps its non-standard ``x-hint`` keywords (OpenAPI allows
``x-`` extensions) and drops ``$schema``, which OpenAPI 3.0 schema objects
do not have.
"""

import copy

from heat_capsule.engine import microversion
from heat_capsule.engine.handlers import quota as quota_handlers
from heat_capsule.engine.handlers import util
from heat_capsule.engine.schemas import capsule as capsule_schema

OPENAPI_VERSION = '3.0.3'


def _request_schema():
    schema = copy.deepcopy(capsule_schema.CREATE)
    schema.pop('$schema', None)
    return schema


_NULLABLE_STRING = {'type': 'string', 'nullable': True}
_LINKS = {'type': 'array', 'items': {
    'type': 'object', 'required': ['href', 'rel'],
    'properties': {'href': {'type': 'string'}, 'rel': {'type': 'string'}}}}
_STRING_MAP = {'type': 'object', 'additionalProperties': {'type': 'string'}}

CONTAINER_VIEW = {
    'type': 'object',
    'properties': {
        'uuid': {'type': 'string', 'format': 'uuid'},
        'name': _NULLABLE_STRING,
        'image': {'type': 'string'},
        'command': {'type': 'array', 'items': {'type': 'string'}},
        'status': {'type': 'string'},
        'status_reason': _NULLABLE_STRING,
        'status_detail': _NULLABLE_STRING,
        'task_state': _NULLABLE_STRING,
        'cpu': {'type': 'number', 'nullable': True},
        'memory': _NULLABLE_STRING,
        'environment': _STRING_MAP,
        'workdir': _NULLABLE_STRING,
        'ports': {'type': 'array', 'items': {'type': 'integer'}},
        'hostname': _NULLABLE_STRING,
        'labels': _STRING_MAP,
        'addresses': {'type': 'object'},
        'restart_policy': {'type': 'object'},
        'interactive': {'type': 'boolean'},
        'tty': {'type': 'boolean'},
        'image_driver': _NULLABLE_STRING,
        'security_groups': {'type': 'array', 'items': {'type': 'string'}},
        'auto_remove': {'type': 'boolean'},
        'auto_heal': {'type': 'boolean'},
        'disk': {'type': 'integer'},
        'healthcheck': {'type': 'object'},
        'cpu_policy': {'type': 'string'},
        'registry_id': _NULLABLE_STRING,
        'user_id': _NULLABLE_STRING,
        'project_id': _NULLABLE_STRING,
        # Engine extensions (heat_capsule.engine.views.capsule.container).
        'exit_code': {'type': 'integer', 'nullable': True},
        'restart_count': {'type': 'integer'},
        'oom_killed': {'type': 'boolean'},
        'started_at': _NULLABLE_STRING,
        'finished_at': _NULLABLE_STRING,
        'uptime': {'type': 'number', 'nullable': True,
                   'description': 'Seconds the container has been running '
                                  'in its current run; null unless '
                                  'Running.'},
    },
}

CAPSULE_VIEW = {
    'type': 'object',
    'description': 'A capsule at microversion 1.32 or later. Below 1.32 '
                   '``name`` and ``labels`` are ``meta_name`` and '
                   '``meta_labels``, ``restart_policy`` is a string, and '
                   '``volumes_info``, ``containers_uuids``, '
                   '``init_containers_uuids`` and ``capsule_version`` are '
                   'added.',
    'required': ['uuid', 'links', 'status', 'containers'],
    'properties': {
        'uuid': {'type': 'string', 'format': 'uuid'},
        'links': _LINKS,
        'name': _NULLABLE_STRING,
        'meta_name': _NULLABLE_STRING,
        'labels': _STRING_MAP,
        'meta_labels': _STRING_MAP,
        'annotations': _STRING_MAP,
        'status': {'type': 'string',
                   'description': 'Creating, Running, Deleting, Error...'},
        'status_reason': _NULLABLE_STRING,
        'restart_policy': {'oneOf': [
            {'type': 'string'},
            {'type': 'object', 'properties': {
                'Name': {'type': 'string'},
                'MaximumRetryCount': {'type': 'string'}}}]},
        'cpu': {'type': 'number', 'nullable': True},
        'memory': _NULLABLE_STRING,
        'addresses': {'type': 'object'},
        'containers': {'type': 'array',
                       'items': {'$ref': '#/components/schemas/Container'}},
        'init_containers': {
            'type': 'array',
            'items': {'$ref': '#/components/schemas/Container'}},
        'volumes_info': _STRING_MAP,
        'containers_uuids': {'type': 'array', 'items': {'type': 'string'}},
        'init_containers_uuids': {'type': 'array',
                                  'items': {'type': 'string'}},
        'capsule_version': {'type': 'string'},
        'user_id': _NULLABLE_STRING,
        'project_id': _NULLABLE_STRING,
        'created_at': _NULLABLE_STRING,
        'updated_at': _NULLABLE_STRING,
    },
}

ERROR_ENVELOPE = {
    'type': 'object',
    'required': ['errors'],
    'properties': {'errors': {
        'type': 'array', 'minItems': 1, 'items': {
            'type': 'object',
            'required': ['request_id', 'code', 'status', 'title',
                         'detail', 'links'],
            'properties': {
                'request_id': {'type': 'string'},
                'code': {'type': 'string', 'pattern': r'^container\.'},
                'status': {'type': 'integer'},
                'title': {'type': 'string'},
                'detail': {'type': 'string'},
                'links': {'type': 'array'},
            }}}},
}


CAPSULE_LIST = {
    'type': 'object', 'required': ['capsules'],
    'properties': {
        'capsules': {'type': 'array',
                     'items': {'$ref': '#/components/schemas/Capsule'}},
        'next': {'type': 'string', 'nullable': True}},
}

VOLUME_LIST = {
    'type': 'object', 'required': ['volumes'],
    'properties': {'volumes': {'type': 'array', 'items': {
        'type': 'object', 'properties': {
            'name': {'type': 'string'},
            'id': {'type': 'string'},
            'size': {'type': 'integer', 'nullable': True},
            'auto_remove': {'type': 'boolean', 'nullable': True}}}}},
}

VOLUME_VIEW = {
    'type': 'object',
    'description': 'A Docker volume the engine made for a capsule (engine '
                   'extension); it outlives its capsule unless it was '
                   'auto-removed.',
    'required': ['uuid', 'name', 'size', 'auto_remove', 'capsule_uuid',
                 'project_id', 'created_at'],
    'properties': {
        'uuid': {'type': 'string', 'format': 'uuid'},
        'name': _NULLABLE_STRING,
        'size': {'type': 'number', 'nullable': True,
                 'description': 'GiB asked for (not enforced).'},
        'auto_remove': {'type': 'boolean'},
        'capsule_uuid': {'type': 'string', 'nullable': True,
                         'description': 'The capsule using it; null when '
                                        'it is free.'},
        'project_id': {'type': 'string'},
        'created_at': {'type': 'string'},
    },
}

VOLUMES = {
    'type': 'object', 'required': ['volumes'],
    'properties': {'volumes': {
        'type': 'array', 'items': {'$ref': '#/components/schemas/Volume'}}},
}

_VOLUME_UUID = {'name': 'volume_uuid', 'in': 'path', 'required': True,
                'schema': {'type': 'string'},
                'description': 'The volume uuid.'}

ENDPOINT_LIST = {
    'type': 'object', 'required': ['endpoints'],
    'properties': {'endpoints': {'type': 'array', 'items': {
        'type': 'object',
        'required': ['container', 'container_port', 'protocol', 'host_ip',
                     'host_port'],
        'properties': {
            'container': {'type': 'string'},
            'container_port': {'type': 'integer'},
            'protocol': {'type': 'string', 'enum': ['tcp', 'udp']},
            'host_ip': {'type': 'string'},
            'host_port': {'type': 'integer'}}}}},
}


def _ref(name):
    return {'$ref': '#/components/schemas/%s' % name}


def _json(schema, description):
    return {'description': description,
            'content': {'application/json': {'schema': schema}}}


def _errors(*statuses):
    names = {400: 'Bad request or invalid parameter',
             403: 'Forbidden by policy or over quota', 404: 'Not found',
             405: 'Method not allowed', 406: 'Microversion not supported',
             409: 'Conflict', 413: 'Request body too large',
             415: 'Body is not application/json',
             500: 'Docker refused', 503: 'Docker is not answering'}
    return {str(s): {'$ref': '#/components/responses/Error%d' % s}
            for s in statuses if s in names}


_VERSIONED_ERRORS = (403, 404, 405, 406)


def _query(name, schema, description):
    return {'name': name, 'in': 'query', 'required': False,
            'schema': schema, 'description': description}


_IDENT = {'name': 'capsule_ident', 'in': 'path', 'required': True,
          'schema': {'type': 'string'},
          'description': 'The capsule uuid or its name.'}
_ALL_PROJECTS = _query('all_projects', {'type': 'string'},
                       'Admin only: a boolean (1/0, true/false, yes/no, '
                       'on/off...).')
_CONTAINER_IDENT = {'name': 'container_ident', 'in': 'path',
                    'required': True,
                    'schema': {'type': 'string', 'format': 'uuid'},
                    'description': 'The uuid of an init or app container '
                                   'of a capsule (as the capsule shows '
                                   'it).'}
_BOOLEAN_TEXT = 'A boolean (True/False, 1/0, yes/no, on/off...)'
LOGS_PARAMETERS = [
    _query('stdout', {'type': 'string', 'default': 'True'},
           _BOOLEAN_TEXT + '; include stdout. With stderr false too, '
           'both are included.'),
    _query('stderr', {'type': 'string', 'default': 'True'},
           _BOOLEAN_TEXT + '; include stderr.'),
    _query('timestamps', {'type': 'string', 'default': 'False'},
           _BOOLEAN_TEXT + "; prefix each line with Docker's RFC 3339 "
           'timestamp.'),
    _query('tail', {'type': 'string', 'pattern': '^(all|[0-9]+)$',
                    'default': 'all'},
           "'all' or the number of last lines to return."),
    _query('since', {'type': 'string'},
           'Only lines written after this: seconds since the epoch '
           '(integer or decimal) or a date and time YYYY-MM-DD HH:MM:SS '
           "with an optional ',fff' or '.fff' fraction (UTC unless an "
           'ISO 8601 offset follows); None or empty: no limit.'),
]


def _action(operation_id, capsule, version_param, summary):
    """A bodiless POST action on one capsule (pause, unpause)."""
    return {'parameters': [_IDENT], 'post': {
        'operationId': operation_id, 'summary': summary,
        'parameters': [version_param],
        'responses': dict({'202': capsule},
                          **_errors(409, *_VERSIONED_ERRORS))}}


def build(host_url=''):
    """The OpenAPI document as a dict."""
    version_param = {'$ref': '#/components/parameters/OpenStackAPIVersion'}
    capsule = _json(_ref('Capsule'), 'The capsule.')
    responses = {
        'Error%d' % status: _json(_ref('Error'), description)
        for status, description in (
            (400, 'Bad request or invalid parameter'),
            (403, 'Forbidden by policy or over quota'),
            (404, 'Not found'),
            (405, 'Method not allowed'),
            (406, 'Microversion not supported'),
            (409, 'Conflict (or over the host\'s capacity)'),
            (413, 'Request body too large'),
            (415, 'Body is not application/json'),
            (500, 'Docker refused'), (503, 'Docker is not answering'))}
    doc = {
        'openapi': OPENAPI_VERSION,
        'info': {
            'title': 'heat-capsule engine (OpenStack Zun capsule API)',
            'version': microversion.to_string(microversion.MAX_VERSION),
            'description': 'Zun-compatible capsule API. Microversions '
                           '%s to %s (header OpenStack-API-Version: '
                           'container X.Y).' % (
                               microversion.to_string(
                                   microversion.MIN_VERSION),
                               microversion.to_string(
                                   microversion.MAX_VERSION)),
        },
        'servers': [{'url': host_url or '/'}],
        'paths': {
            '/': {'get': {
                'operationId': 'versions', 'security': [],
                'summary': 'Version discovery (public); versions[]'
                           '.extensions lists the engine\'s extensions '
                           'of Zun\'s API.',
                'responses': {'200': _json({'type': 'object'},
                                           'The versions document.')}}},
            '/v1': {'get': {
                'operationId': 'v1', 'security': [],
                'summary': 'The v1 document (public).',
                'parameters': [version_param],
                'responses': dict(
                    {'200': _json({'type': 'object'}, 'The v1 document.')},
                    **_errors(406))}},
            '/v1/openapi.json': {'get': {
                'operationId': 'openapi',
                'summary': 'This document.',
                'parameters': [version_param],
                'responses': dict(
                    {'200': _json({'type': 'object'},
                                  'An OpenAPI 3 document.')},
                    **_errors(*_VERSIONED_ERRORS))}},
            '/v1/capsules': {
                'get': {
                    'operationId': 'listCapsules',
                    'summary': 'List capsules (also at /capsules).',
                    'parameters': [
                        version_param,
                        _query('limit', {'type': 'integer', 'minimum': 1},
                               'Page size; capped at [api] max_limit.'),
                        _query('marker', {'type': 'string'},
                               'Uuid of the last capsule of the previous '
                               'page.'),
                        _query('sort_key', {'type': 'string'},
                               'A capsule field to sort on.'),
                        _query('sort_dir',
                               {'type': 'string', 'enum': ['asc', 'desc']},
                               'Sort direction.'),
                        _ALL_PROJECTS],
                    'responses': dict(
                        {'200': _json(CAPSULE_LIST,
                                      'A page of capsules.')},
                        **_errors(400, *_VERSIONED_ERRORS))},
                'post': {
                    'operationId': 'createCapsule',
                    'summary': 'Create a capsule (also at /capsules).',
                    'parameters': [version_param],
                    'requestBody': {
                        'required': True,
                        'content': {'application/json': {
                            'schema': _ref('CapsuleCreate')}}},
                    'responses': dict(
                        {'202': dict(capsule, headers={'Location': {
                            'schema': {'type': 'string'},
                            'description': 'The capsule URL.'}})},
                        **_errors(400, 409, 413, 415,
                                  *_VERSIONED_ERRORS))},
            },
            '/v1/capsules/{capsule_ident}': {
                'parameters': [_IDENT],
                'get': {
                    'operationId': 'showCapsule',
                    'summary': 'Show a capsule.',
                    'parameters': [version_param],
                    'responses': dict({'200': capsule},
                                      **_errors(409, *_VERSIONED_ERRORS))},
                'delete': {
                    'operationId': 'deleteCapsule',
                    'summary': 'Delete a capsule: it shows Deleting until '
                               'Docker is cleaned up, then 404.',
                    'parameters': [version_param, _ALL_PROJECTS],
                    'responses': dict(
                        {'204': {'description': 'Deletion started.'}},
                        **_errors(400, 409, *_VERSIONED_ERRORS))},
            },
            '/v1/capsules/{capsule_ident}/volumes': {
                'parameters': [_IDENT],
                'get': {
                    'operationId': 'listCapsuleVolumes',
                    'summary': 'Engine extension: the volumes of a capsule.',
                    'parameters': [version_param],
                    'responses': dict(
                        {'200': _json(VOLUME_LIST, 'The volumes.')},
                        **_errors(409, *_VERSIONED_ERRORS))}},
            '/v1/capsules/{capsule_ident}/pause': _action(
                'pauseCapsule', capsule, version_param,
                'Engine extension: pause (freeze with Docker\'s cgroup '
                'freezer) every app container of a Running capsule; it '
                'shows Paused once done. 409 unless Running.'),
            '/v1/capsules/{capsule_ident}/unpause': _action(
                'unpauseCapsule', capsule, version_param,
                'Engine extension: thaw a Paused capsule. 409 unless '
                'Paused (or being paused).'),
            '/v1/capsules/{capsule_ident}/endpoints': {
                'parameters': [_IDENT],
                'get': {
                    'operationId': 'listCapsuleEndpoints',
                    'summary': "Engine extension: where the capsule's "
                               'declared ports are published on the '
                               'Docker host (hostPort, else an ephemeral '
                               'port), read from Docker; empty while its '
                               'sandbox is not running.',
                    'parameters': [version_param],
                    'responses': dict(
                        {'200': _json(ENDPOINT_LIST, 'The endpoints.')},
                        **_errors(409, 500, 503, *_VERSIONED_ERRORS))}},
            '/v1/containers/{container_ident}/logs': {
                'parameters': [_CONTAINER_IDENT],
                'get': {
                    'operationId': 'containerLogs',
                    'summary': "The logs of a capsule's init or app "
                               "container (Zun's container logs call; "
                               'also at /containers/...). 409 when the '
                               'container has no Docker container (not '
                               'created yet, or removed).',
                    'parameters': [version_param] + LOGS_PARAMETERS,
                    'responses': dict(
                        {'200': _json({'type': 'string'},
                                      'The log text, as one JSON '
                                      'string.')},
                        **_errors(400, 409, 500, 503,
                                  *_VERSIONED_ERRORS))}},
            '/v1/volumes': {'get': {
                'operationId': 'listVolumes',
                'summary': "Engine extension: the project's volumes (also "
                           'at /volumes), kept ones included.',
                'parameters': [version_param, _ALL_PROJECTS],
                'responses': dict(
                    {'200': _json(VOLUMES, 'The volumes.')},
                    **_errors(400, *_VERSIONED_ERRORS))}},
            '/v1/volumes/{volume_uuid}': {
                'parameters': [_VOLUME_UUID],
                'get': {
                    'operationId': 'showVolume',
                    'summary': 'Engine extension: one volume.',
                    'parameters': [version_param],
                    'responses': dict(
                        {'200': _json(_ref('Volume'), 'The volume.')},
                        **_errors(*_VERSIONED_ERRORS))},
                'delete': {
                    'operationId': 'deleteVolume',
                    'summary': 'Engine extension: delete a volume no '
                               'capsule uses, with its Docker volume; 409 '
                               'while a capsule uses it.',
                    'parameters': [version_param],
                    'responses': dict(
                        {'204': {'description': 'Deleted.'}},
                        **_errors(409, *_VERSIONED_ERRORS))}},
        },
        'components': {
            'schemas': {
                'CapsuleCreate': _request_schema(),
                'Capsule': CAPSULE_VIEW,
                'Container': CONTAINER_VIEW,
                'Error': ERROR_ENVELOPE,
                'Volume': VOLUME_VIEW,
            },
            'parameters': {'OpenStackAPIVersion': {
                'name': 'OpenStack-API-Version', 'in': 'header',
                'required': False,
                'schema': {'type': 'string',
                           'example': 'container %s' % microversion.to_string(
                               microversion.MAX_VERSION)},
                'description': "'container X.Y' or 'container latest'; "
                               'without it the version is %s.'
                               % microversion.to_string(
                                   microversion.MIN_VERSION)}},
            'responses': responses,
        },
    }
    doc['paths'].update(quota_handlers.openapi_paths(_json, _errors,
                                                     version_param))
    doc['components']['schemas'].update(quota_handlers.OPENAPI_SCHEMAS)
    return doc


def document(req):
    return util.json_response(200, build(req.host_url_for_links))

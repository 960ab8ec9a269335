"""``GET /v1/openapi.json``: an OpenAPI 3.0 description of the API.

Built as a plain dict from the same sources the engine uses: the request
body schema is ``schemas.capsule.CREATE`` itself, the response schemas are
the ones each view module declares beside the view (``views.capsule``,
``views.volume``, ``views.endpoint``), the version range comes from
``microversion``. ``tests/unit/test_openapi.py`` checks that every
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
from heat_capsule.engine.views import capsule as capsule_view
from heat_capsule.engine.views import endpoint as endpoint_view
from heat_capsule.engine.views import error as error_view
from heat_capsule.engine.views import volume as volume_view

OPENAPI_VERSION = '3.0.3'


def _request_schema():
    schema = copy.deepcopy(capsule_schema.CREATE)
    schema.pop('$schema', None)
    return schema


_VOLUME_UUID = {'name': 'volume_uuid', 'in': 'path', 'required': True,
                'schema': {'type': 'string'},
                'description': 'The volume uuid.'}


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
                        {'200': _json(capsule_view.CAPSULE_LIST_SCHEMA,
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
                        {'200': _json(volume_view.CAPSULE_VOLUMES_SCHEMA,
                                      'The volumes.')},
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
                        {'200': _json(endpoint_view.ENDPOINT_LIST_SCHEMA,
                                      'The endpoints.')},
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
                    {'200': _json(volume_view.VOLUME_LIST_SCHEMA,
                                  'The volumes.')},
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
                'Capsule': capsule_view.CAPSULE_SCHEMA,
                'Container': capsule_view.CONTAINER_SCHEMA,
                'Error': error_view.ENVELOPE_SCHEMA,
                'Volume': volume_view.VOLUME_SCHEMA,
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

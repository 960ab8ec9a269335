"""Errors as Zun shows them: the envelope of every error answer.

``{"errors": [{"request_id", "code", "status", "title", "detail",
"links"}]}``: ``code`` is ``container.<error's code>`` (e.g.
``container.capsule-not-found``), ``request_id`` the answer's
``X-Openstack-Request-Id``. ``ENVELOPE_SCHEMA`` describes it, for the
OpenAPI document.
"""

import json

ENVELOPE_SCHEMA = {
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


def envelope(status, code, title, detail, request_id):
    """The error answer's body, as UTF-8 JSON bytes."""
    return json.dumps({'errors': [{
        'request_id': request_id or '',
        'code': 'container.%s' % code if code else 'container.',
        'status': status,
        'title': title,
        'detail': detail,
        'links': [],
    }]}).encode('utf-8')

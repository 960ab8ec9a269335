"""Small helpers shared by the handlers."""

import json

import orjson
from oslo_utils import strutils
import webob

from heat_capsule.engine import errors
from heat_capsule import textutils


def json_response(status, body, headers=()):
    resp = webob.Response(status=status, content_type='application/json',
                          charset=None, body=orjson.dumps(body))
    for name, value in headers:
        resp.headers[name] = value
    return resp


def empty_response(status):
    resp = webob.Response(status=status)
    resp.headers.pop('Content-Type', None)
    return resp


def read_json_body(req):
    """The decoded JSON body: 415, 413 and 400 for what is not one."""
    content_type = (req.content_type or '').lower()
    if content_type != 'application/json':
        raise errors.UnsupportedMediaType(
            'The request body must be application/json, not %s.'
            % (content_type or 'missing'))
    limit = req.services.conf.api.max_request_body_size
    if req.content_length is not None and req.content_length > limit:
        raise errors.RequestTooLarge(
            'The request body is %d bytes; the limit is %d.'
            % (req.content_length, limit))
    raw = req.body_file.read(limit + 1)
    if len(raw) > limit:
        raise errors.RequestTooLarge(
            'The request body is larger than the limit of %d bytes.' % limit)
    try:
        return json.loads(raw.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise errors.BadRequest('Malformed JSON in the request body: %s'
                                % exc)
    except RecursionError:
        raise errors.BadRequest('Malformed JSON in the request body: it is '
                                'nested too deeply.')


# Longest query value echoed back in a 400.
_SHOWN = 64


def invalid_parameter(name, value, expected):
    """The 400 for query parameter ``name`` given ``value``: "Invalid
    value '...' for parameter 'name'. <expected>" (the value shortened)."""
    return errors.InvalidParameterValue(
        "Invalid value %r for parameter '%s'. %s" % (
            textutils.shorten(value, _SHOWN), name, expected))


def bool_param(req, name, default=False):
    """A strict boolean query parameter: oslo's spellings (``True``,
    ``false``, ``1``, ``no``...), ``default`` when absent, else a 400 that
    lists them (Zun's "Valid <name> values are: ..." wording)."""
    value = req.GET.get(name)
    if value is None:
        return default
    try:
        return strutils.bool_from_string(value, strict=True)
    except ValueError:
        raise invalid_parameter(name, value, 'Valid %s values are: %s' % (
            name, ', '.join(strutils.TRUE_STRINGS + strutils.FALSE_STRINGS)))


def enforce(req, rule, project_id=None):
    """Check a policy rule against a target project (the caller's own
    by default); 403 when it does not pass."""
    ctx = req.context
    target = {'project_id': project_id or ctx.project_id,
              'user_id': ctx.user_id}
    if not req.services.enforcer.enforce(rule, target,
                                         ctx.to_policy_values()):
        raise errors.Forbidden('Policy does not allow %s.' % rule)

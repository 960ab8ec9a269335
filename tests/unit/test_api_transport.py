"""HTTP details of the API that need no runtime: the WSGI app alone.

(Everything else about the API runs in tests/gabbits against the engine
with its real runtime.)
"""

import io
import json

import pytest
import webob

from heat_capsule.engine import microversion
from tests.support import wsgi as wsgi_support


@pytest.fixture
def app(tmp_path):
    return wsgi_support.detached_app(tmp_path)


def call(app, method, path, body=None, content_type='application/json',
         headers=None):
    req = webob.Request.blank(path, method=method, headers=headers or {})
    if body is not None:
        req.body = body if isinstance(body, bytes) else json.dumps(
            body).encode()
        req.content_type = content_type
    return req.get_response(app)


def test_error_body_carries_the_header_request_id(app):
    resp = call(app, 'GET', '/v1/capsules/nothing')
    assert resp.status_int == 404
    request_id = resp.headers['x-openstack-request-id']
    assert request_id.startswith('req-')
    assert resp.json['errors'][0]['request_id'] == request_id


def test_each_request_has_its_own_id(app):
    first = call(app, 'GET', '/v1/capsules')
    second = call(app, 'GET', '/v1/capsules')
    assert first.headers['x-openstack-request-id'] != \
        second.headers['x-openstack-request-id']


def test_body_that_is_not_utf8_is_400(app):
    resp = call(app, 'POST', '/v1/capsules', body=b'\xff\xfe{"a": 1}')
    assert resp.status_int == 400
    assert 'Malformed JSON' in resp.json['errors'][0]['detail']


def test_deeply_nested_json_is_400_not_500(app):
    resp = call(app, 'POST', '/v1/capsules', body=b'[' * 100000)
    assert resp.status_int == 400


def test_content_length_over_the_limit_is_413_before_reading(app):
    req = webob.Request.blank('/v1/capsules', method='POST')
    req.content_type = 'application/json'
    req.headers['Content-Length'] = str(50 * 1024 * 1024)
    req.body_file_raw = io.BytesIO(b'{}')
    resp = req.get_response(app)
    assert resp.status_int == 413


def test_delete_accepts_octet_stream(app):
    resp = call(app, 'DELETE', '/v1/capsules/nothing', body=b'',
                content_type='application/octet-stream')
    assert resp.status_int == 404   # not 415: DELETE has no body rules


def test_a_bug_answers_500_in_the_envelope(app, monkeypatch):
    import re

    from heat_capsule.engine import handler

    def broken(req):
        raise ZeroDivisionError('boom')
    monkeypatch.setattr(handler, '_COMPILED',
                        [(re.compile('^/?$'), {'GET': broken}, False)])
    resp = call(app, 'GET', '/')
    assert resp.status_int == 500
    error = resp.json['errors'][0]
    assert error['code'] == 'container.internal-server-error'
    assert 'boom' not in error['detail']
    assert error['request_id'] in error['detail']


@pytest.mark.parametrize('header,expected', [
    (None, (1, 1)), ('container 1.40', (1, 40)),
    ('container latest', microversion.MAX_VERSION),
    ('  container   1.32  ', (1, 32))])
def test_parse_header(header, expected):
    assert microversion.parse_header(header) == expected


@pytest.mark.parametrize('header', [
    'container 1.41', 'container 1.0', 'container 2.0', 'Container 1.2',
    'compute 1.2', 'container', 'container 1.02', 'container 1.x',
    'container 1.2 extra'])
def test_parse_header_refuses(header):
    with pytest.raises(microversion.VersionNotAcceptable):
        microversion.parse_header(header)

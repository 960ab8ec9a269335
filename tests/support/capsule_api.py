"""The engine's capsule API as the functional tests call it: one place for
the request headers and the create / show / wait / delete helpers.

`project` (a Keystone project id, sent as ``X-Project-Id`` to an engine
in noauth mode) is optional everywhere; without it the engine's noauth
default project is used.
"""

import requests

from tests.support import engine as engine_support

HEADERS = {'Content-Type': 'application/json',
           'OpenStack-API-Version': 'container 1.40'}


def headers(project=None):
    """The request headers, for `project` when given."""
    if project is None:
        return dict(HEADERS)
    return dict(HEADERS, **{'X-Project-Id': project})


def create(engine, template, expect=202, project=None, timeout=30):
    """POST /v1/capsules; asserts the status `expect`; the body (dict)."""
    resp = requests.post(engine.url + '/v1/capsules',
                         json={'template': template},
                         headers=headers(project), timeout=timeout)
    assert resp.status_code == expect, resp.text
    return resp.json()


def show(engine, ident, project=None):
    """GET /v1/capsules/<ident>: the requests Response."""
    return requests.get(engine.url + '/v1/capsules/' + ident,
                        headers=headers(project), timeout=10)


def wait_status(engine, ident, status, timeout=60, project=None):
    """The capsule's body once its status is `status`; AssertionError
    after `timeout` seconds."""
    def reached():
        body = show(engine, ident, project).json()
        return body if body.get('status') == status else None
    return engine_support.wait_for(reached, timeout=timeout,
                                   what='%s %s' % (ident, status))


def delete(engine, ident, project=None):
    """DELETE /v1/capsules/<ident>; asserts 204."""
    resp = requests.delete(engine.url + '/v1/capsules/' + ident,
                           headers=headers(project), timeout=30)
    assert resp.status_code == 204, resp.text


def delete_and_wait(engine, ident, timeout=60, project=None, interval=0.2):
    """DELETE, then wait until GET answers 404."""
    delete(engine, ident, project)
    engine_support.wait_for(
        lambda: show(engine, ident, project).status_code == 404,
        timeout=timeout, interval=interval, what='%s gone' % ident)

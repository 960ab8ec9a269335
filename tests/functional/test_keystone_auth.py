"""keystone mode: keystonemiddleware auth_token guards the API.

The version documents stay public; a request without a token is refused by
auth_token itself before the engine sees it. (Full token validation against
a real Keystone is covered by the all-in-one's end-to-end tests.)
"""

import pytest
import requests

from tests.support import engine as engine_support


@pytest.fixture(scope='module')
def engine():
    closed = engine_support.free_port()
    process = engine_support.EngineProcess(extra_conf=(
        '[api]\nauth_strategy = keystone\n'
        '[keystone_authtoken]\nwww_authenticate_uri = http://127.0.0.1:%d\n'
        'auth_url = http://127.0.0.1:%d\nauth_type = password\n'
        'username = engine\npassword = secret\nproject_name = service\n'
        'user_domain_name = Default\nproject_domain_name = Default\n'
        'http_request_max_retries = 0\n' % (closed, closed)))
    # The extra text lands after [runtime]; runtime is not needed here.
    process.start()
    yield process
    process.stop()


def test_version_documents_are_public(engine):
    assert requests.get(engine.url + '/', timeout=10).status_code == 200
    resp = requests.get(engine.url + '/v1', timeout=10)
    assert resp.status_code == 200
    assert resp.headers['OpenStack-API-Version'] == 'container 1.1'


def test_no_token_is_401(engine):
    resp = requests.get(engine.url + '/v1/capsules', timeout=10)
    assert resp.status_code == 401
    assert 'www-authenticate' in {k.lower() for k in resp.headers}


def test_identity_headers_alone_are_not_trusted(engine):
    resp = requests.get(engine.url + '/v1/capsules', timeout=10, headers={
        'X-Project-Id': 'p', 'X-User-Id': 'u', 'X-Roles': 'admin'})
    assert resp.status_code == 401


def test_a_token_keystone_cannot_validate_is_refused(engine):
    resp = requests.get(engine.url + '/v1/capsules', timeout=30,
                        headers={'X-Auth-Token': 'forged'})
    assert resp.status_code in (401, 503)

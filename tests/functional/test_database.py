"""Persistence under load: sqlite with 50 concurrent creates, PostgreSQL.

Heat itself fails with "database is locked" on sqlite under parallel
clients; the engine's sqlite default must not.
"""

import concurrent.futures

import pytest
import requests

from tests.support import capsule_api
from tests.support import engine as engine_support
from tests.support import postgres

HEADERS = capsule_api.HEADERS


def _template(index):
    return {'template': {
        'kind': 'capsule', 'metadata': {'name': 'load-%d' % index},
        'spec': {'containers': [{'image': 'busybox',
                                 'command': ['sleep', '3600']}]}}}


def _create_concurrently(url, count):
    def create(index):
        return requests.post(url + '/v1/capsules', json=_template(index),
                             headers=HEADERS, timeout=60)
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(create, range(count)))


def _listed(url):
    return requests.get(url + '/v1/capsules', headers=HEADERS,
                        timeout=30).json()['capsules']


def _run_load(engine, count=50):
    responses = _create_concurrently(engine.url, count)
    assert [r.status_code for r in responses] == [202] * count, [
        r.text for r in responses if r.status_code != 202][:3]
    engine_support.wait_for(
        lambda: [c['status'] for c in _listed(engine.url)] ==
        ['Running'] * count, timeout=300, interval=1,
        what='%d capsules Running' % count)
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        deleted = list(pool.map(lambda c: requests.delete(
            engine.url + '/v1/capsules/' + c['uuid'], headers=HEADERS,
            timeout=60), _listed(engine.url)))
    assert {r.status_code for r in deleted} == {204}
    engine_support.wait_for(lambda: _listed(engine.url) == [], timeout=300,
                            interval=1, what='every capsule deleted')
    log = open(engine.state_dir + '/engine.log').read()
    assert 'database is locked' not in log
    assert 'Traceback' not in log


@pytest.fixture
def images():
    engine_support.ensure_test_images()


def test_sqlite_holds_50_concurrent_creates(images):
    engine = engine_support.EngineProcess(
        extra_conf=engine_support.NO_QUOTA_CONF).start()
    try:
        _run_load(engine)
    finally:
        engine.stop()
        engine_support.remove_everything(engine.driver())


def test_postgresql_url_works(images):
    assert postgres.available(), (
        'Debian postgresql is not installed (tools/run-tests.sh installs it)')
    server = postgres.PostgresServer().start()
    try:
        url = server.create_database('heat_capsule')
        engine = engine_support.EngineProcess(
            extra_conf='[database]\nconnection = %s\n%s' % (
                url, engine_support.NO_QUOTA_CONF)).start()
        try:
            _run_load(engine, count=20)
        finally:
            engine.stop()
            engine_support.remove_everything(engine.driver())
    finally:
        server.stop()

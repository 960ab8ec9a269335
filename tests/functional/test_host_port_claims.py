"""Host port claims are exclusive under concurrent creates, on sqlite and
on a real PostgreSQL (where the unique key, not a lock, decides)."""

import concurrent.futures
import types

import pytest

from heat_capsule.engine.db import api as db_api
from heat_capsule.engine.db import host_ports
from heat_capsule.engine import records
from tests.support import postgres

COUNT = 20


def _capsule(index, project='p1'):
    template = {'kind': 'capsule', 'metadata': {'name': 'claim-%d' % index},
                'spec': {'containers': [{
                    'image': 'busybox',
                    'ports': [{'containerPort': 80, 'hostPort': 40080},
                              {'containerPort': 53, 'protocol': 'UDP',
                               'hostPort': 40053}]}]}}
    ctx = types.SimpleNamespace(project_id=project, user_id='u')
    return records.build(template, ctx)[0]


def _race(database):
    capsules = [_capsule(i) for i in range(COUNT)]

    def create(capsule):
        try:
            database.create_capsule(capsule)
            return capsule.uuid
        except host_ports.HostPortInUse as exc:
            return exc
    with concurrent.futures.ThreadPoolExecutor(COUNT) as pool:
        results = list(pool.map(create, capsules))
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1, results
    for loser in results:
        if not isinstance(loser, str):
            assert (loser.port, loser.protocol) in ((40080, 'tcp'),
                                                    (40053, 'udp'))
            assert loser.capsule_uuid == winners[0]
    # Only the winner was stored.
    assert database.capsules_to_sync() == winners
    # Gone with the capsule: the port is free again.
    database.purge_capsule(winners[0])
    again = _capsule(99)
    database.create_capsule(again)
    assert database.capsules_to_sync() == [again.uuid]


def test_sqlite(tmp_path):
    database = db_api.Database('sqlite:///%s/db.sqlite' % tmp_path)
    database.upgrade()
    _race(database)


def test_postgresql():
    if not postgres.available():
        pytest.fail('Debian postgresql is not installed '
                    '(tools/run-tests.sh installs it)')
    server = postgres.PostgresServer().start()
    try:
        database = db_api.Database(server.create_database('claims'))
        database.upgrade()
        _race(database)
        database.engine.dispose()
    finally:
        server.stop()

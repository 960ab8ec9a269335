"""Quota arithmetic, default requests and quota bodies (pure functions)."""

import types

import pytest

from heat_capsule.engine import quota
from heat_capsule.engine import records
from heat_capsule.engine.schemas import quota as quota_schema

CTX = types.SimpleNamespace(project_id='p', user_id='u')


def _conf(**compute):
    values = dict(cpu_allocation_ratio=16.0, ram_allocation_ratio=1.5,
                  reserved_host_cpus=0, reserved_host_memory_mb=512)
    values.update(compute)
    return types.SimpleNamespace(compute=types.SimpleNamespace(**values))


def test_default_requests_fill_only_what_is_missing():
    items = [{'image': 'busybox'},
             {'image': 'busybox', 'resources': {'requests': {'memory': 64}}},
             {'image': 'busybox', 'resources': {'requests': {'cpu': 2}}}]
    filled = records.with_default_requests(items, 0.5, 128)
    assert [i['resources']['requests'] for i in filled] == [
        {'cpu': 0.5, 'memory': 128}, {'cpu': 0.5, 'memory': 64},
        {'cpu': 2, 'memory': 128}]
    assert items[0] == {'image': 'busybox'}   # the caller's are untouched
    assert records.with_default_requests(items) == items


def test_build_counts_the_defaults_in_the_capsule_totals():
    template = {'metadata': {}, 'spec': {
        'initContainers': [{'image': 'busybox'}],
        'containers': [{'image': 'busybox'}, {'image': 'busybox'}]}}
    capsule, _, _, _ = records.build(template, CTX, (0.25, 100))
    assert [(c.cpu, c.memory) for c in capsule.containers] == [
        (0.25, 100)] * 3
    assert (capsule.cpu, capsule.memory) == (0.5, 200)
    assert quota.request_of(capsule, []) == {
        'containers': 3, 'memory': 200, 'cpu': 0.5, 'disk': 0}
    bare, _, _, _ = records.build(template, CTX)
    assert (bare.cpu, bare.memory) == (0.0, 0)


def test_over_quota_names_every_resource_over_and_skips_unlimited():
    limits = {'containers': 3, 'memory': -1, 'cpu': 2, 'disk': 0}
    usage = {'containers': 2, 'memory': 10 ** 9, 'cpu': 1.5, 'disk': 0}
    request = {'containers': 2, 'memory': 5, 'cpu': 0.5, 'disk': 0}
    assert quota.over_quota(limits, usage, request) == [
        ('containers', 3, 2, 2)]
    request['cpu'] = 0.6
    assert [o[0] for o in quota.over_quota(limits, usage, request)] == [
        'containers', 'cpu']
    # Fractions that add up exactly fit.
    assert quota.over_quota({'cpu': 1, 'containers': -1, 'memory': -1,
                             'disk': -1}, {'cpu': 0.7}, {'cpu': 0.3}) == []


def test_over_quota_message():
    error = quota.OverQuota('p', [('memory', 1024, 256, 800.0),
                                  ('cpu', 2, 1.5, 0.75)])
    assert str(error) == (
        'Quota exceeded for resources: memory (limit 1024 MiB, in use 256 '
        'MiB, requested 800 MiB); cpu (limit 2 CPUs, in use 1.5 CPUs, '
        'requested 0.75 CPUs) of project p.')


def test_capacity_is_host_minus_reserved_times_the_ratio():
    capacity = quota.Capacity(4, 8704, _conf())
    assert (capacity.cpu_total, capacity.memory_total) == (64.0, 12288)
    capacity.check(63.5, 12000, 0.5, 288)
    with pytest.raises(quota.InsufficientCapacity) as caught:
        capacity.check(63.5, 12000, 1, 2048)
    assert str(caught.value) == (
        'Insufficient compute resources: memory: the capsule needs 2048 '
        'MiB, 288 MiB free of 12288 MiB ((8704 MiB of the Docker host - 512 '
        'MiB reserved) x ram_allocation_ratio 1.5); cpu: the capsule needs '
        '1 CPUs, 0.5 CPUs free of 64 CPUs ((4 CPUs of the Docker host - 0 '
        'reserved) x cpu_allocation_ratio 16).')


def test_capacity_never_negative():
    capacity = quota.Capacity(1, 100, _conf(reserved_host_cpus=2))
    assert (capacity.cpu_total, capacity.memory_total) == (0, 0)
    capacity.check(0, 0, 0, 0)   # a capsule asking nothing always fits


@pytest.mark.parametrize('body,expected', [
    ({}, {}), ({'containers': 5}, {'containers': 5}),
    ({'memory': '-1', 'cpu': '20', 'disk': 3.0},
     {'memory': -1, 'cpu': 20, 'disk': 3}),
    ({'containers': quota_schema.MAX_LIMIT},
     {'containers': quota_schema.MAX_LIMIT})])
def test_parse_update_accepts_zuns_forms(body, expected):
    assert quota_schema.parse_update(body) == expected


@pytest.mark.parametrize('body,message', [
    ([], "field 'body': must be an object"),
    ({'pods': 1}, "field 'pods': unknown quota resource"),
    ({'cpu': True}, "field 'cpu': True is not a whole number"),
    ({'cpu': 1.5}, "field 'cpu': 1.5 is not a whole number"),
    ({'cpu': ' 1'}, "field 'cpu': ' 1' is not a whole number"),
    ({'cpu': None}, "field 'cpu': None is not a whole number"),
    ({'memory': -2}, "field 'memory': -2 is out of range"),
    ({'memory': '9' * 19}, "field 'memory': %s is out of range" % ('9' * 19)),
    ({'memory': '9' * 20}, "is not a whole number"),
    ({'disk': 2 ** 31}, 'is out of range (-1 to 2147483647)')])
def test_parse_update_refuses_with_the_field(body, message):
    with pytest.raises(quota_schema.InvalidLimit) as caught:
        quota_schema.parse_update(body)
    assert message in str(caught.value)


def test_unknown_host_figures_do_not_hold_creates_back(tmp_path):
    """Docker never answered: no capacity (creates wait for Docker), and
    the failure is cached, so the next creates do not ask again."""
    url = 'unix://%s/no-docker.sock' % tmp_path
    conf = _conf(host_cpus=None, host_memory_mb=None)
    conf.runtime = types.SimpleNamespace(docker_url=url)
    assert quota.Capacity.of_host(conf) is None
    assert quota._HOST_CACHE[url][1] is None
    conf.compute.host_cpus, conf.compute.host_memory_mb = 2, 2048
    capacity = quota.Capacity.of_host(conf)
    assert (capacity.cpu_total, capacity.memory_total) == (32.0, 2304)


def test_the_admission_lock_row_is_made_again_when_missing(tmp_path):
    import sqlalchemy as sa

    from heat_capsule.engine.db import api as db_api
    from heat_capsule.engine.db import models
    from heat_capsule.engine.db import quota as quota_db

    database = db_api.Database('sqlite:///%s/db.sqlite' % tmp_path)
    database.upgrade()
    rows = sa.select(models.AdmissionLock.name,
                     models.AdmissionLock.generation)
    with database.engine.begin() as connection:
        assert connection.execute(rows).all() == [('host', 0)]
        connection.execute(sa.delete(models.AdmissionLock))
    database.set_project_quotas('p', {'containers': 3})
    with database.engine.begin() as connection:
        assert connection.execute(rows).all() == [('host', 1)]
    with database._writer() as session:
        quota_db.lock_admissions(session)
    with database.engine.begin() as connection:
        assert connection.execute(rows).all() == [('host', 2)]
    assert database.project_quotas('p') == {'containers': 3}

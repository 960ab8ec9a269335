"""Zun's template semantics as records (heat_capsule.engine.records)."""

import types

from hypothesis import given
from hypothesis import strategies as st
import pytest

from heat_capsule.engine import records
from heat_capsule.heat import template as heat_template

CTX = types.SimpleNamespace(project_id='p', user_id='u')


def container(**fields):
    return dict({'image': 'busybox'}, **fields)


def requests(cpu=None, memory=None):
    values = {}
    if cpu is not None:
        values['cpu'] = cpu
    if memory is not None:
        values['memory'] = memory
    return {'resources': {'requests': values}}


def test_totals_sum_the_app_containers():
    apps = [container(**requests(1, 1024)), container(**requests(1, 1024))]
    assert records.totals(apps, []) == (2.0, 2048)


def test_totals_are_raised_to_a_larger_init_container():
    apps = [container(**requests(0.5, 64))]
    inits = [container(**requests(2, 32)), container(**requests(0.1, 512))]
    assert records.totals(apps, inits) == (2.0, 512)


def test_totals_without_resources_are_zero():
    assert records.totals([container()], [container()]) == (0.0, 0)


@pytest.mark.parametrize('spec_policy,template_policy,expected', [
    (None, None, 'always'), ('Never', None, 'no'),
    ('OnFailure', 'Never', 'on-failure'), (None, 'Never', 'no')])
def test_restart_policy(spec_policy, template_policy, expected):
    template = {'spec': {}}
    if spec_policy:
        template['spec']['restartPolicy'] = spec_policy
    if template_policy:
        template['restartPolicy'] = template_policy
    assert records.restart_policy(template) == expected


@pytest.mark.parametrize('name,expected', [
    ('Web_Server.1', 'web-server-1'), ('--x--', 'x'),
    (None, 'capsule-abcdef12'), ('a' * 80, 'a' * 63)])
def test_hostname(name, expected):
    assert records.hostname_for(name, 'abcdef12-0000') == expected


def test_build_joins_command_and_args_and_names_containers():
    template = {'kind': 'capsule', 'metadata': {'name': 'demo'},
                'spec': {
                    'initContainers': [container(command=['sh'])],
                    'containers': [
                        container(command=['sh', '-c'], args=['echo hi'],
                                  env={'A': 'b'}, ports=[
                                      {'containerPort': 80}]),
                        container(name='container-3', args=['x']),
                        container()]}}
    capsule, new_volumes, attach, _ = records.build(template, CTX)
    roles = [(c.role, c.name, c.position) for c in capsule.containers]
    assert roles == [('init', 'init-container-1', 0),
                     ('app', 'container-1', 0), ('app', 'container-3', 1),
                     ('app', 'container-3-2', 2)]
    first = capsule.containers[1]
    assert first.command == ['sh', '-c', 'echo hi']
    assert first.ports == [{'containerPort': 80, 'protocol': 'TCP'}]
    assert capsule.containers[2].command == ['x']
    assert capsule.hostname == 'demo'
    assert (new_volumes, attach) == ([], [])


def test_build_splits_new_and_claimed_volumes():
    claimed = '9d1d5ad4-7d3e-4b63-8f43-8d1a5b1f3c0e'
    template = {'kind': 'capsule', 'metadata': {},
                'spec': {'containers': [container(volumeMounts=[
                    {'name': 'new', 'mountPath': '/a'},
                    {'name': 'old', 'mountPath': '//b/./',
                     'readOnly': True}])],
                    'volumes': [
                        {'name': 'new', 'cinder': {'size': 1,
                                                   'autoRemove': True}},
                        {'name': 'old', 'cinder': {'volumeID': claimed}}]}}
    capsule, new_volumes, attach, paths = records.build(template, CTX)
    assert [v.auto_remove for v in new_volumes] == [True]
    assert new_volumes[0].attached_to == capsule.uuid
    assert attach == [claimed]
    assert paths[claimed] == 'template.spec.volumes[1].cinder.volumeID'
    mounts = capsule.containers[0].mounts
    # Paths as Docker sees them (normalised), readOnly kept.
    assert mounts == [{'volume_uuid': new_volumes[0].uuid, 'path': '/a',
                       'read_only': False},
                      {'volume_uuid': claimed, 'path': '/b',
                       'read_only': True}]


# Names a user may give, chosen to collide with the generated ones.
_GIVEN_NAMES = st.one_of(st.none(), st.sampled_from(
    ['web', 'container-1', 'container-2', 'container-1-2',
     'init-container-1', 'init-container-2']))


@given(st.lists(_GIVEN_NAMES, min_size=1, max_size=4),
       st.lists(_GIVEN_NAMES, max_size=3))
def test_engine_names_unnamed_containers_as_the_heat_side_does(apps, inits):
    """One default-naming rule: a template sent without names (openstack
    capsule create) gets the names OS::Zun::Capsule would have sent."""
    given_names = [n for n in apps + inits if n]
    if len(given_names) != len(set(given_names)):
        return      # duplicate names are a 400 before records are built
    sent = heat_template.build_template({
        'containers': [{'name': n, 'image': 'busybox'} for n in apps],
        'init_containers': [{'name': n, 'image': 'busybox'}
                            for n in inits]})['spec']
    template = {'kind': 'capsule', 'spec': {
        'containers': [container(**({'name': n} if n else {}))
                       for n in apps],
        'initContainers': [container(**({'name': n} if n else {}))
                           for n in inits]}}
    capsule = records.build(template, CTX)[0]
    by_role = {}
    for row in capsule.containers:
        by_role.setdefault(row.role, []).append(row.name)
    assert by_role.get('app', []) == [c['name'] for c in sent['containers']]
    assert by_role.get('init', []) == [
        c['name'] for c in sent.get('initContainers', [])]

"""tests.support.leaks tells Docker's stale endpoint count (a network no
container is attached to, yet "has active endpoints") from a real leak."""

import docker

from tests.support import leaks


class _Api:
    def __init__(self, attached):
        self.attached = attached       # network name -> container list

    def containers(self, all, filters):
        assert all is True
        return self.attached.get(filters['network'], [])


class _Client:
    def __init__(self, attached):
        self.api = _Api(attached)


ACTIVE = docker.errors.APIError(
    '403 Client Error: Forbidden ("error while removing network: network '
    'n1 id 4a4d has active endpoints")')


def _refusing(exc):
    def remove_one():
        raise exc
    return remove_one


def test_only_an_empty_network_refused_for_active_endpoints_is_stale():
    client = _Client({'n2': [{'Id': 'c1'}]})
    found = [
        ('network', 'n1', 't1', _refusing(ACTIVE)),        # Docker's count
        ('network', 'n2', 't1', _refusing(ACTIVE)),        # a container on it
        ('network', 'n3', 't1', _refusing(docker.errors.APIError('boom'))),
        ('volume', 'v1', 't1', _refusing(ACTIVE)),
        ('container', 'c2', 't1', lambda: None),           # removed fine
    ]
    errors, stale = leaks.remove(found, client)
    assert stale == ['n1']
    assert [line.split(':')[0] for line in errors] == [
        'could not remove network n2', 'could not remove network n3',
        'could not remove volume v1']


def test_without_a_client_every_refusal_is_an_error():
    errors, stale = leaks.remove(
        [('network', 'n1', 't1', _refusing(ACTIVE))])
    assert stale == [] and len(errors) == 1

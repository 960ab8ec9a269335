"""Pure parts of runtime/networks.py: names, blocks, subnet ids.

(tests/functional/test_isolation.py allocates for real on Docker.)
"""

import ipaddress
import re

from hypothesis import given
from hypothesis import strategies as st
import pytest

from heat_capsule.engine.runtime import networks

# Docker's rule for network names (daemon/names: RestrictedNamePattern).
DOCKER_NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]+$')


@given(st.text(max_size=300), st.text(max_size=300))
def test_any_project_id_gives_a_docker_name_of_its_own(first, second):
    name = networks.network_name('engine', first)
    assert DOCKER_NAME.match(name)
    assert len(name) <= len('engine-') + 64
    if first != second:
        assert name != networks.network_name('engine', second)


def test_keystone_project_ids_stay_readable():
    project = 'b0d7c6cbe1d64c2e8a4e6f52e9a5a3a1'
    assert networks.network_name('allinone', project) == (
        'allinone-' + project)


@pytest.mark.parametrize('pool, prefix, count', [
    ('10.230.0.0/16', 24, 256), ('10.230.0.0/16', 20, 16),
    ('192.0.2.0/24', 24, 1), ('10.230.7.9/16', 24, 256)])
def test_blocks(pool, prefix, count):
    found = networks.blocks(pool, prefix)
    assert len(found) == count
    assert all(b.prefixlen == prefix for b in found)


# Explicit ids: gabbi's pytest plugin cannot collect a session whose test
# ids hold '::' (as an IPv6 address would).
@pytest.mark.parametrize('pool, prefix', [
    ('10.230.0.0/25', 24), ('not-a-network', 24), ('fd00::/48', 64)],
    ids=['pool-smaller-than-a-block', 'not-a-network', 'ipv6'])
def test_a_pool_that_cannot_be_cut_is_a_clear_error(pool, prefix):
    with pytest.raises(ValueError, match='subnet_pool'):
        networks.blocks(pool, prefix)


def test_subnet_ids_are_stable_and_match_the_endpoint_subnet():
    endpoint = {'IPAddress': '10.230.4.7', 'IPPrefixLen': 24}
    cidr = networks.endpoint_subnet(endpoint)
    assert cidr == '10.230.4.0/24'
    assert ipaddress.ip_network(cidr)
    # The same id earlier versions gave (uuid5 of "<network id>/<cidr>").
    # The same id earlier versions gave (uuid5 of "<network id>/<cidr>"),
    # so adopted capsules keep their subnet_id.
    assert networks.make_subnet_id('abc', '172.18.0.0/16') == (
        'b06cf84f-7208-555c-b108-2395dab1b89d')

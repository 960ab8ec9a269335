"""Host port rules and Docker's words for a taken port (no Docker)."""

import types

from hypothesis import given
from hypothesis import strategies as st
import pytest

from heat_capsule.engine import errors
from heat_capsule.engine.handlers import endpoint
from heat_capsule.engine.runtime import ports
from heat_capsule.engine.runtime import spec
from heat_capsule.engine.views import endpoint as endpoint_view


def _record(*port_lists):
    return types.SimpleNamespace(containers=[
        types.SimpleNamespace(name='c%d' % i, ports=port_list, role='app',
                              position=i)
        for i, port_list in enumerate(port_lists)])


def _conf(allow):
    return types.SimpleNamespace(runtime=types.SimpleNamespace(
        allow_privileged_host_ports=allow))


@given(st.integers(1, 65535), st.sampled_from(['TCP', 'UDP']),
       st.booleans())
def test_privileged_host_ports_need_the_option(host_port, protocol, allow):
    record = _record([{'containerPort': 80, 'protocol': protocol,
                       'hostPort': host_port}])
    if host_port < 1024 and not allow:
        with pytest.raises(errors.SchemaValidationError,
                           match='privileged port'):
            endpoint.check_host_ports(record, _conf(allow))
    else:
        endpoint.check_host_ports(record, _conf(allow))


def test_one_host_port_for_two_container_ports_is_refused():
    same = {'containerPort': 80, 'protocol': 'TCP', 'hostPort': 4000}
    endpoint.check_host_ports(_record([same], [dict(same)]), _conf(False))
    endpoint.check_host_ports(_record([same], [dict(
        same, protocol='UDP', containerPort=81)]), _conf(False))
    with pytest.raises(errors.SchemaValidationError,
                       match=r'containers\[1\]\.ports\[0\].*80 and 81'):
        endpoint.check_host_ports(_record([same], [dict(
            same, containerPort=81)]), _conf(False))


def _capsule(*port_specs):
    container = spec.ContainerSpec(uuid='u', name='main', image='busybox',
                                   role=spec.ROLE_APP, ports=port_specs)
    return types.SimpleNamespace(init_containers=(), containers=(container,))


@given(st.lists(st.tuples(st.integers(1, 65535),
                          st.sampled_from(['tcp', 'udp']),
                          st.one_of(st.none(), st.integers(1024, 65535))),
                min_size=1, max_size=8))
def test_every_declared_port_is_bound_on_the_publish_address(declared):
    capsule = _capsule(*(spec.Port(n, p, h) for n, p, h in declared))
    bound = ports.bindings(capsule, '127.0.0.1')
    for number, proto, host_port in declared:
        assert ('127.0.0.1', host_port) in bound['%d/%s' % (number, proto)]
    assert ports.bindings(capsule, '') is None


@pytest.mark.parametrize('text', [
    'driver failed programming external connectivity on endpoint hc-x '
    '(abc): Bind for 127.0.0.1:4321 failed: port is already allocated',
    'driver failed programming external connectivity on endpoint hc-x: '
    'Error starting userland proxy: listen tcp4 127.0.0.1:4321: bind: '
    'address already in use',
    'failed to bind host port for 127.0.0.1:4321:10.230.0.2:80/tcp: '
    'address already in use',
])
def test_docker_words_for_a_taken_port_name_it(text):
    capsule = _capsule(spec.Port(80, 'tcp', 4321), spec.Port(81))
    reason = ports.bind_failure(text, capsule, '127.0.0.1')
    assert reason.startswith('Cannot publish host port 4321/tcp on '
                             '127.0.0.1: it is already in use')


def test_other_docker_errors_are_not_port_errors():
    assert ports.bind_failure('executable file not found', _capsule(),
                              '127.0.0.1') is None


def test_endpoints_pair_declared_ports_with_what_docker_publishes():
    published = {(80, 'tcp'): [('127.0.0.1', 4321), ('127.0.0.1', 32768)],
                 (53, 'udp'): [('127.0.0.1', 32769)]}
    containers = [
        ('a', [{'containerPort': 80, 'protocol': 'TCP', 'hostPort': 4321}]),
        ('b', [{'containerPort': 80, 'protocol': 'TCP'},
               {'containerPort': 53, 'protocol': 'UDP'},
               {'containerPort': 99, 'protocol': 'TCP'}])]
    assert [(e['container'], e['container_port'], e['protocol'],
             e['host_port']) for e in endpoint_view.endpoints(
                 containers, published)] == [
        ('a', 80, 'tcp', 4321), ('b', 80, 'tcp', 32768),
        ('b', 53, 'udp', 32769)]
    assert endpoint_view.endpoints(containers, {}) == []


def test_the_driver_publishes_on_the_configured_address():
    from oslo_config import cfg

    from heat_capsule.engine import cmd
    from heat_capsule.engine import service

    conf = cmd.prepare([], cfg.ConfigOpts(), setup_logging=False)
    assert conf.runtime.publish_address == '127.0.0.1'
    assert conf.runtime.allow_privileged_host_ports is False
    conf.set_override('publish_address', '192.0.2.10', 'runtime')
    assert service.make_driver(conf).publish_host == '192.0.2.10'

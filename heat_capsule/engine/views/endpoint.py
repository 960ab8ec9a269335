"""A capsule's endpoints, as ``/v1/capsules/{id}/endpoints`` shows them.

``{"endpoints": [{"container", "container_port", "protocol", "host_ip",
"host_port"}]}`` (engine extension): where the ports the capsule declares
are published on the Docker host, read back from Docker
(``runtime.ports.published``).
"""

ENDPOINT_LIST_SCHEMA = {
    'type': 'object', 'required': ['endpoints'],
    'properties': {'endpoints': {'type': 'array', 'items': {
        'type': 'object',
        'required': ['container', 'container_port', 'protocol', 'host_ip',
                     'host_port'],
        'properties': {
            'container': {'type': 'string'},
            'container_port': {'type': 'integer'},
            'protocol': {'type': 'string', 'enum': ['tcp', 'udp']},
            'host_ip': {'type': 'string'},
            'host_port': {'type': 'integer'}}}}},
}


def endpoint_list(containers, published_ports):
    """The whole answer: ``{"endpoints": endpoints(...)}``."""
    return {'endpoints': endpoints(containers, published_ports)}


def endpoints(containers, published_ports):
    """The API's endpoints of a capsule.

    :param containers: (name, ports) of each container, in order; ports as
        the engine stores them ({containerPort, protocol[, hostPort]}).
    :param published_ports: :func:`runtime.ports.published`'s answer.
    :returns: [{"container", "container_port", "protocol", "host_ip",
        "host_port"}]: for a port with a hostPort, its binding on that
        port; for one without, the ephemeral bindings (those on no hostPort
        any container declared for that container port).
    """
    fixed = {}
    for _name, ports in containers:
        for port in ports or ():
            if port.get('hostPort'):
                fixed.setdefault(_key(port), set()).add(port['hostPort'])
    result = []
    for name, ports in containers:
        for port in ports or ():
            key = _key(port)
            for host_ip, host_port in published_ports.get(key, ()):
                if port.get('hostPort'):
                    if host_port != port['hostPort']:
                        continue
                elif host_port in fixed.get(key, ()):
                    continue
                result.append({'container': name,
                               'container_port': key[0],
                               'protocol': key[1],
                               'host_ip': host_ip,
                               'host_port': host_port})
    return result


def _key(port):
    return (int(port['containerPort']),
            (port.get('protocol') or 'TCP').lower())

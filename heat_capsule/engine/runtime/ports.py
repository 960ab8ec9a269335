"""A capsule's published ports on the Docker host: bindings and endpoints.

Every port a container of a capsule declares is published by its sandbox
(which owns the capsule's network namespace) on the engine's publish
address (``[runtime] publish_address``): on ``hostPort`` when the port has
one, else on an ephemeral host port Docker picks (and picks again when it
re-publishes the sandbox after a restart, so the endpoints are always read
back from Docker, never remembered).

Shapes
    * ``bindings(capsule, publish_host)``: the ``port_bindings`` argument of
      docker-py's ``create_host_config``: ``{'8080/tcp': [(ip, port|None)]}``.
    * ``published(inspect_info)``: what Docker shows now,
      ``{(8080, 'tcp'): [('127.0.0.1', 32793), ...]}``.
    (``views.endpoint.endpoints`` turns the latter into the API's list.)
    * ``bind_failure(text, capsule)``: the clear reason for a sandbox start
      Docker refused because a host port is taken, or None.
"""

import re

# Docker's words when a host port is taken: by a container of this daemon
# ("Bind for 127.0.0.1:8080 failed: port is already allocated"), or by
# another program ("listen tcp4 127.0.0.1:8080: bind: address already in
# use"; Docker 28: "failed to bind host port for 127.0.0.1:8080:...").
_TAKEN = re.compile(r'port is already allocated|address already in use',
                    re.IGNORECASE)
_HOST_ADDRESS = re.compile(
    r'(?:Bind for|listen (?:tcp|udp)[46]?|host port for) '
    r'\[?([0-9A-Fa-f.:]*?)\]?:(\d{1,5})\b')


def _wanted(capsule):
    """{(number, proto): [host_port or None, ...]} over every container."""
    wanted = {}
    for container in tuple(capsule.init_containers) + tuple(
            capsule.containers):
        for port in container.ports:
            key = (int(port.number), (port.protocol or 'tcp').lower())
            host_ports = wanted.setdefault(key, [])
            host_port = port.host_port
            if host_port not in host_ports:
                host_ports.append(host_port)
    return wanted


def bindings(capsule, publish_host):
    """docker-py ``port_bindings`` for `capsule`'s sandbox (None: none).

    A container port with a hostPort is bound there; one declared without
    (by any container) also gets an ephemeral port.  '' or None as
    `publish_host` publishes nothing.
    """
    wanted = _wanted(capsule)
    if not publish_host or not wanted:
        return None
    return {'%d/%s' % key: [(publish_host, host_port)
                            for host_port in sorted(
                                host_ports, key=lambda p: p or 0)]
            for key, host_ports in sorted(wanted.items())}


def host_ports(capsule):
    """The fixed host ports `capsule` asks for: sorted (port, proto)."""
    return sorted({(host_port, key[1])
                   for key, ports in _wanted(capsule).items()
                   for host_port in ports if host_port})


def published(info):
    """What Docker publishes for a sandbox (its inspect answer, or None).

    :returns: {(container port, proto): [(host ip, host port), ...]};
        empty when the sandbox is missing or not running (Docker then
        shows no host ports).
    """
    if not info:
        return {}
    ports = (info.get('NetworkSettings') or {}).get('Ports') or {}
    result = {}
    for key, host_bindings in ports.items():
        number, _, proto = key.partition('/')
        for binding in host_bindings or ():
            try:
                host_port = int(binding.get('HostPort') or '')
            except ValueError:
                continue
            result.setdefault((int(number), proto or 'tcp'), []).append(
                (binding.get('HostIp') or '', host_port))
    return result


def bind_failure(text, capsule, publish_host):
    """A clear reason when Docker refused a start over a taken host port.

    :param text: Docker's error message.
    :returns: the reason (naming the port), or None for another error.
    """
    if not _TAKEN.search(text or ''):
        return None
    match = _HOST_ADDRESS.search(text)
    fixed = host_ports(capsule)
    if match:
        port = int(match.group(2))
        protos = sorted({proto for number, proto in fixed if number == port})
        address = match.group(1) or publish_host
    elif len(fixed) == 1:
        port, protos, address = fixed[0][0], [fixed[0][1]], publish_host
    else:
        port, protos, address = None, [], publish_host
    where = ('host port %s%s on %s' % (
        port, '/' + '+'.join(protos) if protos else '', address)
        if port else 'a host port of the capsule on %s' % address)
    return ('Cannot publish %s: it is already in use on the Docker host '
            '(by a program outside this engine, or another engine\'s '
            'container); choose another hostPort, or none for an ephemeral '
            'port. Docker said: %s' % (where, ' '.join(text.split())))

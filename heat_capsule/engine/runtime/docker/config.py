"""What a capsule's spec becomes in Docker's container configuration.

Engine -> Docker, pure: the restart policy of a container, its
healthcheck in the docker SDK's form, the ports its sandbox exposes, and
Docker's refusal worded for a reason.
"""

from docker import errors as docker_errors

from heat_capsule.engine.runtime import spec
from heat_capsule import names
from heat_capsule import textutils

# The longest Docker reason quoted in a capsule's status_reason.
REASON_LIMIT = 400


def restart_policy(capsule, container):
    """Docker's RestartPolicy of one container of ``capsule``: the
    capsule's for an app container, ``no`` for an init container (the
    engine runs those in order itself)."""
    if container.role == spec.ROLE_INIT:
        return {'Name': names.DOCKER_NO, 'MaximumRetryCount': 0}
    wanted = (capsule.restart_policy or names.DOCKER_ALWAYS).lower()
    try:
        name = names.DOCKER_RESTART_POLICY_OF[wanted]
    except KeyError:
        raise spec.CapsuleRuntimeError(
            'restart policy %r is not one of always, on-failure, no'
            % capsule.restart_policy)
    return {'Name': name, 'MaximumRetryCount': 0}


def healthcheck(check):
    """The docker SDK's healthcheck dict (times in nanoseconds), or None."""
    if check is None:
        return None
    second = 1000000000
    return {'test': ['CMD-SHELL', check.cmd],
            'interval': check.interval * second,
            'timeout': check.timeout * second,
            'retries': check.retries,
            'start_period': check.start_period * second}


def capsule_ports(capsule):
    """The union of the ports of all containers, as sorted (number, proto)."""
    exposed = set()
    for container in tuple(capsule.init_containers) + tuple(
            capsule.containers):
        for port in container.ports:
            exposed.add((int(port.number), (port.protocol or 'tcp').lower()))
    return sorted(exposed)


def reason(error, limit=REASON_LIMIT):
    """Docker's own words for an APIError, on one line."""
    text = getattr(error, 'explanation', None) or str(error)
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    return textutils.shorten(text, limit, one_line=True)


def is_conflict(error):
    """Docker's 409: the object exists already, or is in the way."""
    return (isinstance(error, docker_errors.APIError)
            and error.status_code == 409)

"""Docker's view of a container, translated: ``spec.ContainerState``.

Docker -> engine, pure (no Docker connection): ``from_inspect`` reads
``docker inspect`` (``/containers/{id}/json``), ``from_list`` one entry of
the container list (``/containers/json``, no inspect: no State.Error, no
RestartCount, the exit code read from the STATUS text). Docker's
State.Status becomes Zun's container status (``STATUSES``); the STATUS
text is worded as ``docker ps`` words it; a healthcheck's state and the
output of its latest failed probe are kept.
"""

import dataclasses
import datetime
import ipaddress
import re

from heat_capsule.engine.runtime import networks
from heat_capsule.engine.runtime import spec
from heat_capsule.engine.runtime import status as status_rules
from heat_capsule import names

# Docker's State.Status -> Zun container status.
STATUSES = {
    'created': names.CREATED,
    'running': names.RUNNING,
    'restarting': names.RESTARTING,
    'paused': names.PAUSED,
    'exited': names.STOPPED,
    'dead': names.DEAD,
    'removing': names.DELETING,
}
# Statuses whose ExitCode is not an exit's (Docker resets it at each start).
_NOT_EXITED = (names.CREATED, names.RUNNING, names.PAUSED, names.DELETING)

NEVER = '0001-01-01T00:00:00Z'   # Docker's zero time (StartedAt, ...)
_EXIT_CODE_IN_STATUS = re.compile(r'^(?:Exited|Restarting) \((-?\d+)\)')
# The health part of ``docker ps``'s STATUS: "Up 3 seconds (healthy)".
_HEALTH_IN_STATUS = re.compile(r'\((healthy|unhealthy|health: starting)\)')
HEALTH_OUTPUT_LIMIT = 2000     # characters of a failed probe's output kept


def parse_time(text):
    """Docker's RFC 3339 (nanosecond) UTC time -> aware datetime, or None
    (also for Docker's zero time)."""
    if not text or text.startswith('0001-01-01'):
        return None
    base, _, rest = text.rstrip('Z').partition('.')
    micro = int((rest[:6] or '0').ljust(6, '0')) if rest else 0
    try:
        moment = datetime.datetime.strptime(base, '%Y-%m-%dT%H:%M:%S')
    except ValueError:
        return None
    return moment.replace(microsecond=micro, tzinfo=datetime.timezone.utc)


def _since(text):
    moment = parse_time(text)
    if moment is None:
        return None
    now = datetime.datetime.now(datetime.timezone.utc)
    return status_rules.human_duration(
        max(0.0, (now - moment).total_seconds()))


def status_detail(state):
    """What ``docker ps`` would show in STATUS, from inspect's State."""
    status = state.get('Status')
    if status in ('running', 'paused'):
        text = 'Up %s' % (_since(state.get('StartedAt')) or '')
        if status == 'paused':
            return text + ' (Paused)'
        health = health_of(state)[0]
        if health == 'starting':
            return text + ' (health: starting)'
        return text + (' (%s)' % health if health else '')
    if status == 'restarting':
        return 'Restarting (%s) %s ago' % (
            state.get('ExitCode'), _since(state.get('FinishedAt')))
    if status == 'removing':
        return 'Removal In Progress'
    if status == 'dead':
        return 'Dead'
    if parse_time(state.get('StartedAt')) is None:
        return 'Created'
    ago = _since(state.get('FinishedAt'))
    return 'Exited (%s) %s ago' % (state.get('ExitCode'), ago) if ago else ''


def health_of(state):
    """(status, output of the latest probe if it failed) from inspect's
    State; (None, None) unless the container runs with a healthcheck."""
    health = state.get('Health') or {}
    status = health.get('Status')
    if state.get('Status') != 'running' or status not in (
            'starting', 'healthy', 'unhealthy'):
        return None, None
    last = (health.get('Log') or [{}])[-1]
    output = None
    if last.get('ExitCode') not in (0, None):
        output = (last.get('Output') or '').strip()
        output = output[-HEALTH_OUTPUT_LIMIT:] or (
            'the check exited with code %s and printed nothing'
            % last['ExitCode'])
    return status, output


def health_from_status(text):
    """The health in ``docker ps``'s STATUS text, or None."""
    match = _HEALTH_IN_STATUS.search(text or '')
    if not match:
        return None
    return 'starting' if match.group(1) == 'health: starting' \
        else match.group(1)


def from_inspect(info):
    """ContainerState from ``docker inspect``'s answer."""
    state = info.get('State') or {}
    labels = (info.get('Config') or {}).get('Labels') or {}
    status = STATUSES.get(state.get('Status'), names.UNKNOWN)
    health, health_output = health_of(state)
    error = state.get('Error') or None
    exit_code = state.get('ExitCode')
    restarts = info.get('RestartCount') or 0
    if status in _NOT_EXITED and not error:
        exit_code = None   # Docker resets it to 0 at each start
    return spec.ContainerState(
        docker_id=info['Id'],
        role=labels.get(spec.LABEL_ROLE, spec.ROLE_APP),
        container_uuid=labels.get(spec.LABEL_CONTAINER),
        status=status,
        exit_code=exit_code,
        status_detail=status_detail(state),
        error=error,
        restart_count=restarts,
        started_at=status_rules.naive_utc(parse_time(state.get('StartedAt'))),
        finished_at=status_rules.naive_utc(
            parse_time(state.get('FinishedAt'))),
        oom_killed=bool(state.get('OOMKilled')),
        health=health,
        health_output=health_output,
        addresses=_addresses(info, labels))


def _addresses(info, labels):
    """A sandbox's addresses in its inspect answer; None for others."""
    if labels.get(spec.LABEL_ROLE) != spec.ROLE_SANDBOX:
        return None
    return tuple(addresses_of(info))


def addresses_of(info):
    """The addresses in a sandbox's ``docker inspect`` answer (None: no
    sandbox): [spec.Address] on each of its networks (its project's, or
    the shared one of earlier versions), in Zun's form: the network id,
    and a subnet id derived from it and the address's subnet
    (:func:`networks.make_subnet_id`)."""
    if info is None:
        return []
    attached = (info.get('NetworkSettings') or {}).get('Networks') or {}
    result = []
    for _name, endpoint in sorted(attached.items()):
        network_id = endpoint.get('NetworkID')
        endpoint_id = endpoint.get('EndpointID') or ''
        if endpoint.get('IPAddress'):
            result.append(spec.Address(
                addr=endpoint['IPAddress'], version=4,
                network_id=network_id,
                subnet_id=networks.make_subnet_id(
                    network_id, networks.endpoint_subnet(endpoint)),
                port=endpoint_id))
        if endpoint.get('GlobalIPv6Address'):
            address = endpoint['GlobalIPv6Address']
            network = ipaddress.ip_interface('%s/%s' % (
                address, endpoint.get('GlobalIPv6PrefixLen') or 64)
            ).network
            result.append(spec.Address(
                addr=address, version=6, network_id=network_id,
                subnet_id=networks.make_subnet_id(network_id,
                                                  str(network)),
                port=endpoint_id))
    return result


def just_started(container, docker_id, now=None):
    """ContainerState of `container` (a spec.ContainerSpec) whose start
    Docker has just acknowledged, as ``docker inspect`` would show it then,
    without the inspect: running, not restarted, started `now` (the
    engine's clock, naive UTC; default: now), its healthcheck starting.

    Docker's own StartedAt differs by the milliseconds between its start
    and this call; the start's event makes the reconciler inspect the
    container (its timing pass), which records Docker's value.  A process
    that exits at once is reported by its 'die' event, as it would be a
    moment after an inspect.
    """
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    health = 'starting' if container.healthcheck else None
    detail = 'Up %s' % status_rules.human_duration(0)
    return spec.ContainerState(
        docker_id=docker_id, role=container.role,
        container_uuid=container.uuid, status=names.RUNNING,
        status_detail=detail + (' (health: starting)' if health else ''),
        restart_count=0, started_at=status_rules.naive_utc(now),
        oom_killed=False, health=health)


def from_list(entry):
    """ContainerState from one /containers/json entry (no inspect).

    The list carries the status and Docker's status text, from which the exit
    code is read; it has neither State.Error nor RestartCount.
    """
    labels = entry.get('Labels') or {}
    detail = entry.get('Status') or None
    match = _EXIT_CODE_IN_STATUS.match(detail or '')
    return spec.ContainerState(
        docker_id=entry['Id'],
        role=labels.get(spec.LABEL_ROLE, spec.ROLE_APP),
        container_uuid=labels.get(spec.LABEL_CONTAINER),
        status=STATUSES.get(entry.get('State'), names.UNKNOWN),
        exit_code=int(match.group(1)) if match else None,
        status_detail=detail,
        restart_count=None,
        health=health_from_status(detail))


def key(state):
    """The key of ``state`` in an observation: its container uuid, or
    ``spec.ROLE_SANDBOX`` for the sandbox."""
    if state.role == spec.ROLE_SANDBOX or not state.container_uuid:
        return spec.ROLE_SANDBOX
    return state.container_uuid


def with_detail(state, detail):
    """`state` with the list's status text, which inspect does not carry."""
    if not detail:
        return state
    return dataclasses.replace(state, status_detail=detail)

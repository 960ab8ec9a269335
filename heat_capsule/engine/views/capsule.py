"""Capsules and their containers as Zun shows them.

Formats follow Zun: ``cpu`` a float, ``memory`` a string of MiB,
``restart_policy`` a dict of strings, timestamps as ``str(datetime)``
(``YYYY-MM-DD HH:MM:SS[.ffffff]``), addresses keyed by network id. Below
microversion 1.32 the legacy form is used (``meta_name``, ``meta_labels``,
``restart_policy`` as a plain string, four extra keys).

``CONTAINER_SCHEMA``, ``CAPSULE_SCHEMA`` and ``CAPSULE_LIST_SCHEMA`` describe
these views (OpenAPI 3.0 schema objects: ``nullable``); the OpenAPI document
(handlers/openapi.py) serves them and tests/unit/test_views.py checks every
view against them.
"""

from heat_capsule.engine import microversion
from heat_capsule.engine.runtime import spec as rspec
from heat_capsule.engine.runtime import status as status_rules
from heat_capsule import names

_NULLABLE_STRING = {'type': 'string', 'nullable': True}
_LINKS = {'type': 'array', 'items': {
    'type': 'object', 'required': ['href', 'rel'],
    'properties': {'href': {'type': 'string'}, 'rel': {'type': 'string'}}}}
_STRING_MAP = {'type': 'object', 'additionalProperties': {'type': 'string'}}

CONTAINER_SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'uuid': {'type': 'string', 'format': 'uuid'},
        'name': _NULLABLE_STRING,
        'image': {'type': 'string'},
        'command': {'type': 'array', 'items': {'type': 'string'}},
        'status': {'type': 'string'},
        'status_reason': _NULLABLE_STRING,
        'status_detail': _NULLABLE_STRING,
        'task_state': _NULLABLE_STRING,
        'cpu': {'type': 'number', 'nullable': True},
        'memory': _NULLABLE_STRING,
        'environment': _STRING_MAP,
        'workdir': _NULLABLE_STRING,
        'ports': {'type': 'array', 'items': {'type': 'integer'}},
        'hostname': _NULLABLE_STRING,
        'labels': _STRING_MAP,
        'addresses': {'type': 'object'},
        'restart_policy': {'type': 'object'},
        'interactive': {'type': 'boolean'},
        'tty': {'type': 'boolean'},
        'image_driver': _NULLABLE_STRING,
        'security_groups': {'type': 'array', 'items': {'type': 'string'}},
        'auto_remove': {'type': 'boolean'},
        'auto_heal': {'type': 'boolean'},
        'disk': {'type': 'integer'},
        'healthcheck': {'type': 'object'},
        'cpu_policy': {'type': 'string'},
        'registry_id': _NULLABLE_STRING,
        'user_id': _NULLABLE_STRING,
        'project_id': _NULLABLE_STRING,
        # Engine extensions (see container()).
        'exit_code': {'type': 'integer', 'nullable': True},
        'restart_count': {'type': 'integer'},
        'oom_killed': {'type': 'boolean'},
        'started_at': _NULLABLE_STRING,
        'finished_at': _NULLABLE_STRING,
        'uptime': {'type': 'number', 'nullable': True,
                   'description': 'Seconds the container has been running '
                                  'in its current run; null unless '
                                  'Running.'},
    },
}

CAPSULE_SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'description': 'A capsule at microversion 1.32 or later. Below 1.32 '
                   '``name`` and ``labels`` are ``meta_name`` and '
                   '``meta_labels``, ``restart_policy`` is a string, and '
                   '``volumes_info``, ``containers_uuids``, '
                   '``init_containers_uuids`` and ``capsule_version`` are '
                   'added.',
    'required': ['uuid', 'links', 'status', 'containers'],
    'properties': {
        'uuid': {'type': 'string', 'format': 'uuid'},
        'links': _LINKS,
        'name': _NULLABLE_STRING,
        'meta_name': _NULLABLE_STRING,
        'labels': _STRING_MAP,
        'meta_labels': _STRING_MAP,
        'annotations': _STRING_MAP,
        'status': {'type': 'string',
                   'description': ', '.join(status_rules.CAPSULE_STATUSES)},
        'status_reason': _NULLABLE_STRING,
        'restart_policy': {'oneOf': [
            {'type': 'string'},
            {'type': 'object', 'properties': {
                'Name': {'type': 'string'},
                'MaximumRetryCount': {'type': 'string'}}}]},
        'cpu': {'type': 'number', 'nullable': True},
        'memory': _NULLABLE_STRING,
        'addresses': {'type': 'object'},
        'containers': {'type': 'array', 'items': CONTAINER_SCHEMA},
        'init_containers': {'type': 'array', 'items': CONTAINER_SCHEMA},
        'volumes_info': _STRING_MAP,
        'containers_uuids': {'type': 'array', 'items': {'type': 'string'}},
        'init_containers_uuids': {'type': 'array',
                                  'items': {'type': 'string'}},
        'capsule_version': {'type': 'string'},
        'user_id': _NULLABLE_STRING,
        'project_id': _NULLABLE_STRING,
        'created_at': _NULLABLE_STRING,
        'updated_at': _NULLABLE_STRING,
    },
}

CAPSULE_LIST_SCHEMA = {
    'type': 'object', 'required': ['capsules'],
    'properties': {
        'capsules': {'type': 'array', 'items': CAPSULE_SCHEMA},
        'next': {'type': 'string', 'nullable': True}},
}


def _timestamp(value):
    return str(value) if value is not None else None


def _memory(value):
    return str(value) if value is not None else None


def _cpu(value):
    return float(value) if value is not None else None


def restart_policy(name):
    return {'Name': name, 'MaximumRetryCount': '0'}


def healthcheck(row):
    """The configured check and what Docker last said about it.

    Zun's ``{}`` without one. With one: Zun's keys (cmd, interval, timeout,
    retries) plus start_period, then ``status`` (starting, healthy,
    unhealthy, or null while the container is not running) and ``output``
    (the latest probe's output when it failed, else null). An engine
    extension: Zun has no healthcheck in capsules.
    """
    if not row.healthcheck:
        return {}
    return dict(row.healthcheck, status=row.health_status,
                output=row.health_output)


def container(row, capsule, now=None):
    """One container of a capsule: the api-ref's fields, then the engine's.

    Docker-side details Zun carries but a capsule never uses (disk, security
    groups, registry) keep Zun's neutral values. ``status_detail`` is
    computed as of ``now`` (naive UTC; default: the current time) from the
    recorded timestamps. Engine extensions (Zun has none of them):
    ``exit_code`` (the latest exit's, kept while a restarted container
    runs again), ``restart_count`` (Docker's), ``oom_killed``,
    ``started_at``/``finished_at`` (the latest run, timestamps as
    ``created_at``) and ``uptime`` (seconds, float, of the current run;
    null unless Running).
    """
    now = now or status_rules.utcnow()
    policy = (names.DOCKER_NO if row.role == rspec.ROLE_INIT
              else capsule.restart_policy)
    return {
        'uuid': row.uuid,
        'name': row.name,
        'image': row.image,
        'command': list(row.command or []),
        'status': row.status,
        'status_reason': row.status_reason,
        'status_detail': status_rules.status_detail(row, now),
        'task_state': None,
        'cpu': _cpu(row.cpu),
        'memory': _memory(row.memory),
        'environment': dict(row.environment or {}),
        'workdir': row.workdir,
        'ports': [p['containerPort'] for p in row.ports or []],
        'hostname': capsule.hostname,
        'labels': {},
        'addresses': {},
        'restart_policy': restart_policy(policy),
        'interactive': bool(row.interactive),
        'tty': bool(row.tty),
        'image_driver': None,
        'security_groups': [],
        'auto_remove': False,
        'auto_heal': False,
        'disk': 0,
        'healthcheck': healthcheck(row),
        'cpu_policy': 'shared',
        'registry_id': None,
        'user_id': capsule.user_id,
        'project_id': capsule.project_id,
        'exit_code': row.exit_code,
        'restart_count': row.restart_count or 0,
        'oom_killed': bool(row.oom_killed),
        'started_at': _timestamp(row.started_at),
        'finished_at': _timestamp(row.finished_at),
        'uptime': status_rules.uptime(row, now),
    }


def addresses(found):
    """Zun's addresses of a capsule: {network id: [{addr, version, port,
    subnet_id, preserve_on_delete}]}, from the sandbox's ``spec.Address``
    list (the reconciler records this view when Docker's addresses
    change)."""
    view = {}
    for address in found:
        view.setdefault(address.network_id, []).append({
            'addr': address.addr, 'version': address.version,
            'port': address.port, 'subnet_id': address.subnet_id,
            'preserve_on_delete': False})
    return view


def links(host_url, capsule_uuid):
    return [{'href': '%s/v1/capsules/%s' % (host_url, capsule_uuid),
             'rel': 'self'},
            {'href': '%s/capsules/%s' % (host_url, capsule_uuid),
             'rel': 'bookmark'}]


def capsule(row, host_url, version, now=None):
    """One capsule; its containers' clock-dependent fields as of ``now``."""
    now = now or status_rules.utcnow()
    apps = [c for c in row.containers if c.role == rspec.ROLE_APP]
    inits = [c for c in row.containers if c.role == rspec.ROLE_INIT]
    view = {
        'uuid': row.uuid,
        'links': links(host_url, row.uuid),
        'name': row.name,
        'labels': dict(row.labels or {}),
        'annotations': row.annotations if row.annotations is not None
        else {},
        'status': row.status,
        'status_reason': row.status_reason,
        'restart_policy': restart_policy(row.restart_policy),
        'cpu': _cpu(row.cpu),
        'memory': _memory(row.memory),
        'addresses': dict(row.addresses or {}),
        'containers': [container(c, row, now) for c in apps],
        'init_containers': [container(c, row, now) for c in inits],
        'user_id': row.user_id,
        'project_id': row.project_id,
        'created_at': _timestamp(row.created_at),
        'updated_at': _timestamp(row.updated_at),
    }
    if version < microversion.CURRENT_VIEW:
        view['meta_name'] = view.pop('name')
        view['meta_labels'] = view.pop('labels')
        view['restart_policy'] = row.restart_policy
        view['volumes_info'] = dict(row.volume_map or {})
        view['containers_uuids'] = [c.uuid for c in apps]
        view['init_containers_uuids'] = [c.uuid for c in inits]
        view['capsule_version'] = ''
    return view


def capsule_list(rows, host_url, version, next_url):
    now = status_rules.utcnow()
    return {'capsules': [capsule(r, host_url, version, now) for r in rows],
            'next': next_url}

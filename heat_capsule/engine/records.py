"""Template -> database rows -> runtime spec: the capsule's translations.

``build()`` turns a validated capsule template into database records;
``to_spec()`` turns those rows into the ``runtime.spec.CapsuleSpec`` the
Docker driver runs.

This is where Zun's template semantics live: command + args joined into one
command, restartPolicy names mapped to Docker's, the capsule's cpu/memory
totals, generated container names (``heat_capsule.names``, the Heat side's
rule), and which volumes are new and which are claimed by id.
"""

import re
import uuid as uuidlib

from heat_capsule import bounds
from heat_capsule.engine.db import models
from heat_capsule.engine.runtime import spec as rspec
from heat_capsule import names

DEFAULT_PULL_POLICY = 'ifnotpresent'
# Stored with every healthcheck, so the view shows what actually runs.
# Docker's own defaults (30 s between checks) would leave a stack waiting
# half a minute for a service that is ready in one second.
HEALTHCHECK_DEFAULTS = {'interval': 10, 'timeout': 5, 'retries': 3,
                        'start_period': 0}
_HOSTNAME_BAD = re.compile(r'[^a-z0-9-]+')


def restart_policy(template):
    """spec.restartPolicy, else the deprecated template-level one.

    Zun reads neither fallback correctly (template-level is dead code); here
    the deprecated key still counts when the spec has none.
    """
    spec = template['spec']
    name = spec.get('restartPolicy') or template.get('restartPolicy') \
        or names.DEFAULT_RESTART_POLICY
    return names.TO_DOCKER_RESTART_POLICY[name]


def hostname_for(name, capsule_uuid):
    """An RFC 1123 label from the capsule name, else from its uuid."""
    label = _HOSTNAME_BAD.sub('-', (name or '').lower()).strip('-')[:63]
    return label.strip('-') or 'capsule-' + capsule_uuid[:8]


def _requests(container):
    requests = (container.get('resources') or {}).get('requests') or {}
    return requests.get('cpu'), requests.get('memory')


def with_default_requests(items, cpu=None, memory=None):
    """Copies of container items whose missing requests.cpu / .memory are
    set to the given defaults (None: leave missing). Kubernetes' LimitRange
    defaulting; the operator's values are [compute] default_cpu/_memory."""
    out = []
    for item in items:
        requests = dict((item.get('resources') or {}).get('requests') or {})
        if cpu is not None:
            requests.setdefault('cpu', cpu)
        if memory is not None:
            requests.setdefault('memory', memory)
        if requests:
            item = dict(item, resources=dict(item.get('resources') or {},
                                             requests=requests))
        out.append(item)
    return out


def totals(containers, init_containers):
    """Capsule cpu and memory as Zun computes them.

    The sum over app containers, raised to any single init container that
    asks for more (init containers run alone, before the app containers).
    """
    cpu = sum(_requests(c)[0] or 0 for c in containers)
    memory = sum(_requests(c)[1] or 0 for c in containers)
    for init in init_containers:
        init_cpu, init_memory = _requests(init)
        cpu = max(cpu, init_cpu or 0)
        memory = max(memory, init_memory or 0)
    return float(cpu), int(memory)


def healthcheck(item):
    """The container's healthcheck with the defaults filled in, or None."""
    check = item.get('healthcheck')
    if not check:
        return None
    return dict(HEALTHCHECK_DEFAULTS, **check)


def _container(item, role, position, name, volume_map):
    cpu, memory = _requests(item)
    return models.Container(
        uuid=str(uuidlib.uuid4()),
        role=role,
        position=position,
        name=name,
        image=item['image'],
        command=list(item.get('command') or []) + list(item.get('args') or
                                                       []),
        environment=dict(item.get('env') or {}),
        workdir=item.get('workDir'),
        ports=[dict({'containerPort': p['containerPort'],
                     'protocol': p.get('protocol', 'TCP')},
                    **({'hostPort': p['hostPort']} if 'hostPort' in p
                       else {}))
               for p in item.get('ports') or []],
        # Paths as Docker will see them (normalised); readOnly honoured.
        mounts=[{'volume_uuid': volume_map[m['name']],
                 'path': bounds.clean_path(m['mountPath']),
                 'read_only': bool(m.get('readOnly', False))}
                for m in item.get('volumeMounts') or []],
        cpu=cpu,
        memory=memory,
        tty=bool(item.get('tty', False)),
        interactive=bool(item.get('stdin', False)),
        image_pull_policy=(item.get('imagePullPolicy') or
                           DEFAULT_PULL_POLICY).lower(),
        healthcheck=healthcheck(item),
        status=names.CREATING,
    )


def build(template, ctx, default_requests=(None, None)):
    """Return (capsule, new_volumes, attach_volume_uuids, attach_paths).

    ``attach_paths`` maps each claimed volume uuid to the field path that
    named it, for error messages. ``default_requests`` is (cpu, memory)
    for containers that request none (see with_default_requests); the
    stored template stays as sent.
    """
    capsule_uuid = str(uuidlib.uuid4())
    metadata = template.get('metadata') or {}
    spec = template['spec']
    containers = with_default_requests(spec['containers'],
                                       *default_requests)
    init_containers = with_default_requests(
        spec.get('initContainers') or [], *default_requests)

    volume_map, new_volumes, attach, attach_paths = {}, [], [], {}
    for index, volume in enumerate(spec.get('volumes') or []):
        cinder = volume['cinder']
        if cinder.get('volumeID'):
            volume_uuid = cinder['volumeID']
            attach.append(volume_uuid)
            attach_paths[volume_uuid] = (
                'template.spec.volumes[%d].cinder.volumeID' % index)
        else:
            volume_uuid = str(uuidlib.uuid4())
            new_volumes.append(models.Volume(
                uuid=volume_uuid, project_id=ctx.project_id,
                name=volume['name'], size=cinder.get('size'),
                auto_remove=bool(cinder.get('autoRemove', False)),
                attached_to=capsule_uuid))
        volume_map[volume['name']] = volume_uuid

    app_names, init_names = names.container_names(containers,
                                                  init_containers)
    rows = [_container(item, rspec.ROLE_INIT, i, init_names[i], volume_map)
            for i, item in enumerate(init_containers)]
    rows += [_container(item, rspec.ROLE_APP, i, app_names[i], volume_map)
             for i, item in enumerate(containers)]

    cpu, memory = totals(containers, init_containers)
    name = metadata.get('name')
    capsule = models.Capsule(
        uuid=capsule_uuid,
        name=name,
        project_id=ctx.project_id,
        user_id=ctx.user_id,
        labels=dict(metadata.get('labels') or {}),
        annotations=dict(metadata.get('annotations') or {}),
        restart_policy=restart_policy(template),
        availability_zone=template.get('availabilityZone'),
        cpu=cpu,
        memory=memory,
        desired_state='running',
        status=names.CREATING,
        addresses={},
        hostname=hostname_for(name, capsule_uuid),
        volume_map=volume_map,
        template=template,
        containers=rows,
    )
    return capsule, new_volumes, attach, attach_paths


def to_spec(capsule, volumes):
    """The CapsuleSpec the driver needs, from the capsule's rows.

    :param capsule: a Capsule row with its containers.
    :param volumes: its Volume rows.
    """
    def container_spec(row):
        return rspec.ContainerSpec(
            uuid=row.uuid, name=row.name, image=row.image,
            role=(rspec.ROLE_INIT if row.role == rspec.ROLE_INIT
                  else rspec.ROLE_APP),
            command=tuple(row.command or ()),
            environment=tuple(sorted((row.environment or {}).items())),
            workdir=row.workdir,
            ports=tuple(rspec.Port(p['containerPort'],
                                   p.get('protocol', 'TCP').lower(),
                                   p.get('hostPort'))
                        for p in row.ports or ()),
            cpu=row.cpu, memory=row.memory, tty=row.tty,
            stdin=row.interactive,
            mounts=tuple(rspec.Mount(m['volume_uuid'], m['path'],
                                     bool(m.get('read_only')))
                         for m in row.mounts or ()),
            image_pull_policy=row.image_pull_policy,
            healthcheck=(rspec.Healthcheck(**row.healthcheck)
                         if row.healthcheck else None))

    return rspec.CapsuleSpec(
        uuid=capsule.uuid, project_id=capsule.project_id,
        restart_policy=capsule.restart_policy,
        containers=tuple(container_spec(c) for c in capsule.containers
                         if c.role == rspec.ROLE_APP),
        init_containers=tuple(container_spec(c) for c in capsule.containers
                              if c.role == rspec.ROLE_INIT),
        volumes=tuple(rspec.VolumeSpec(v.uuid, v.auto_remove, v.size)
                      for v in volumes),
        hostname=capsule.hostname,
        termination_grace_period=capsule.termination_grace_period)

"""OS::Zun::Capsule: a Zun capsule, a pod-like group of containers.

The resource is mostly declarations. The property names and the mapping onto
the capsule template live in ``heat_capsule.heat.template``; the client
plugin (microversion, endpoint) in ``heat_capsule.heat.client``. This module
does not import zunclient itself, so importing it never fails for a missing
client library: ``available_resource_mapping()`` decides instead.
"""

import time

from oslo_log import log as logging
from oslo_utils import importutils

from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import clients
from heat.engine import constraints
from heat.engine import function
from heat.engine import properties
from heat.engine import resource
from heat.engine import rsrc_defn
from heat.engine import support

from heat_capsule import bounds
from heat_capsule.heat import docker_checks
from heat_capsule.heat import endpoints
from heat_capsule.heat import features
from heat_capsule.heat import suspend
from heat_capsule.heat import template as tmpl
from heat_capsule.heat import verdict

LOG = logging.getLogger(__name__)


RESOURCE_TYPE = 'OS::Zun::Capsule'


def _name_constraints():
    return [constraints.Length(min=2, max=tmpl.NAME_MAX_LENGTH),
            constraints.AllowedPattern(tmpl.NAME_PATTERN)]


def _healthcheck_schema():
    def seconds(description, minimum):
        return properties.Schema(
            properties.Schema.INTEGER, description,
            constraints=[constraints.Range(min=minimum, max=3600)])

    return properties.Schema(
        properties.Schema.MAP,
        _('A check Docker runs inside the container; the container is '
          'healthy while it exits 0. An extension of the bundled engine '
          '(Zun has no healthcheck in capsules): against a service that '
          'does not advertise it, it is left out of the request. Unset '
          'times take the '
          'engine\'s defaults: interval 10, timeout 5, retries 3, '
          'start_period 0.'),
        schema={
            tmpl.HEALTH_CMD: properties.Schema(
                properties.Schema.STRING,
                _('Shell command to run, e.g. '
                  '"wget -q -O- http://localhost:8080/health".'),
                required=True,
                constraints=[constraints.Length(min=1, max=4096)],
            ),
            tmpl.HEALTH_INTERVAL: seconds(_('Seconds between checks.'), 1),
            tmpl.HEALTH_TIMEOUT: seconds(
                _('Seconds one check may take before it counts as '
                  'failed.'), 1),
            tmpl.HEALTH_RETRIES: properties.Schema(
                properties.Schema.INTEGER,
                _('Consecutive failed checks that make the container '
                  'unhealthy.'),
                constraints=[constraints.Range(min=1, max=100)],
            ),
            tmpl.HEALTH_START_PERIOD: seconds(
                _('Seconds after the start during which failed checks do '
                  'not count (a passing one still makes it healthy).'), 0),
        },
    )


def _container_schema(description, init=False):
    """Schema of one container; init containers have no healthcheck."""
    extra = {} if init else {tmpl.HEALTHCHECK: _healthcheck_schema()}
    return properties.Schema(
        properties.Schema.MAP,
        description,
        schema=dict(extra, **{
            tmpl.CONTAINER_NAME: properties.Schema(
                properties.Schema.STRING,
                _('Name of the container, unique across containers and '
                  'init_containers. Defaults to "container-<n>" (or '
                  '"init-container-<n>"), n being its 1-based position in '
                  'its list.'),
                constraints=_name_constraints(),
            ),
            tmpl.IMAGE: properties.Schema(
                properties.Schema.STRING,
                _('Image of the container, e.g. "busybox" or '
                  '"docker.io/library/nginx:1.27": a Docker image '
                  'reference (lowercase repository).'),
                required=True,
                constraints=[
                    constraints.Length(min=bounds.IMAGE_MIN_LENGTH,
                                       max=bounds.IMAGE_MAX_LENGTH),
                ],
            ),
            tmpl.COMMAND: properties.Schema(
                properties.Schema.LIST,
                _('Command to run, as a list of strings (no shell '
                  'parsing). The image\'s entrypoint is kept; without a '
                  'command the image\'s default command runs.'),
                schema=properties.Schema(properties.Schema.STRING),
            ),
            tmpl.ARGS: properties.Schema(
                properties.Schema.LIST,
                _('Arguments appended to the command.'),
                schema=properties.Schema(properties.Schema.STRING),
            ),
            tmpl.ENVIRONMENT: properties.Schema(
                properties.Schema.MAP,
                _('Environment variables of the container. Values are '
                  'passed as strings.'),
            ),
            tmpl.WORKDIR: properties.Schema(
                properties.Schema.STRING,
                _('Working directory in which the command runs: an '
                  'absolute path, not inside /proc, /sys, /dev/pts or '
                  '/dev/mqueue nor at a file the runtime creates (such as '
                  '/etc/hosts).'),
            ),
            tmpl.PORTS: properties.Schema(
                properties.Schema.LIST,
                _('Ports the container listens on.'),
                schema=properties.Schema(
                    properties.Schema.MAP,
                    schema={
                        tmpl.CONTAINER_PORT: properties.Schema(
                            properties.Schema.INTEGER,
                            _('Port number.'),
                            required=True,
                            constraints=[constraints.Range(
                                min=bounds.PORT_MIN, max=bounds.PORT_MAX)],
                        ),
                        tmpl.PROTOCOL: properties.Schema(
                            properties.Schema.STRING,
                            _('Protocol of the port.'),
                            default=tmpl.PROTOCOLS[0],
                            constraints=[
                                constraints.AllowedValues(tmpl.PROTOCOLS),
                            ],
                        ),
                        tmpl.HOST_PORT: properties.Schema(
                            properties.Schema.INTEGER,
                            _('Port of the container host to publish the '
                              'port on; by default the bundled engine '
                              'picks a free one (the "endpoints" attribute '
                              'tells which). A port another capsule holds '
                              'fails the create; ports below 1024 need the '
                              'engine\'s allow_privileged_host_ports. Zun '
                              'ignores it.'),
                            constraints=[constraints.Range(
                                min=bounds.PORT_MIN, max=bounds.PORT_MAX)],
                        ),
                    },
                ),
            ),
            tmpl.CPU: properties.Schema(
                properties.Schema.NUMBER,
                _('Number of virtual CPUs requested for the container, '
                  '0.1 to 16 (Zun\'s defaults). Docker also refuses more '
                  'than its host has; the bundled engine says so at '
                  'create.'),
                constraints=[constraints.Range(min=bounds.CPU_MIN,
                                               max=bounds.CPU_MAX)],
            ),
            tmpl.MEMORY: properties.Schema(
                properties.Schema.INTEGER,
                _('Memory requested for the container, in MiB: 6 (Docker\'s '
                  'minimum) to 8192 (Zun\'s default maximum).'),
                constraints=[constraints.Range(min=bounds.MEMORY_MIN,
                                               max=bounds.MEMORY_MAX)],
            ),
            tmpl.VOLUME_MOUNTS: properties.Schema(
                properties.Schema.LIST,
                _('Volumes of the capsule to mount into this container.'),
                schema=properties.Schema(
                    properties.Schema.MAP,
                    schema={
                        tmpl.MOUNT_VOLUME_NAME: properties.Schema(
                            properties.Schema.STRING,
                            _('Name of a volume declared in the "volumes" '
                              'property.'),
                            required=True,
                        ),
                        tmpl.MOUNT_PATH: properties.Schema(
                            properties.Schema.STRING,
                            _('Absolute path in the container at which the '
                              'volume is mounted, unique in the container '
                              'once normalised; not /, /dev, nor in /proc, '
                              '/sys or a file the runtime creates (such as '
                              '/etc/hosts).'),
                            required=True,
                        ),
                        tmpl.MOUNT_READ_ONLY: properties.Schema(
                            properties.Schema.BOOLEAN,
                            _('Whether the container sees the volume '
                              'read-only (writes fail). No other mount of '
                              'the container may lie inside a read-only '
                              'one.'),
                        ),
                    },
                ),
            ),
            tmpl.TTY: properties.Schema(
                properties.Schema.BOOLEAN,
                _('Whether the container gets a TTY.'),
            ),
            tmpl.STDIN: properties.Schema(
                properties.Schema.BOOLEAN,
                _('Whether the container\'s standard input is kept open.'),
            ),
            tmpl.IMAGE_PULL_POLICY: properties.Schema(
                properties.Schema.STRING,
                _('When to pull the image. A real Zun honours this only for '
                  'administrators and ignores it for other users.'),
                constraints=[
                    constraints.AllowedValues(tmpl.IMAGE_PULL_POLICIES),
                ],
            ),
        }),
    )


class Capsule(suspend.SuspendResumeMixin, resource.Resource):
    """A Zun capsule: a group of containers sharing one network namespace.

    A capsule is Zun's counterpart of a Kubernetes pod. Its containers get
    the capsule's addresses and reach each other on localhost. Init
    containers, if any, run one after another, each to completion, before
    the containers start. Volumes are declared once on the capsule and
    mounted into the containers that name them.

    The capsule is created through the "container" service of the Keystone
    catalog: a real Zun, or the Zun-compatible engine bundled with
    heat-capsule. On delete the resource waits until the capsule is gone.

    When it is CREATE_COMPLETE ("started"). Every app container must be
    either running, never restarted, for at least "[clients_zun_capsule]
    stable_seconds" of heat.conf (default 1 s) of its current run, as the
    service's own clock says (its "uptime"; with a service that does not
    report it, such as Zun, from the first reading that showed it running),
    or finished: exited with code 0 under restart_policy Never or OnFailure
    (a job: the exit_codes attribute shows the codes). The resource fails
    as soon as an app container exits with any other code (code 0 under
    Always too), is restarted by its restart policy, is killed for
    exceeding its memory, or the capsule goes to Error; the reason names
    each such container, its exit code, its restart count and its last
    log lines. A single reading of a container that exits a moment after
    its start therefore never completes the resource. The same rule
    decides after an update's replacement, and for "stack check"
    (CHECK_COMPLETE; there only restarts seen during the check count).

    Zun has no API to modify a capsule, so changing any property replaces
    the capsule: a new one is created and the old one is deleted.

    Timeouts. The stack's timeout (timeout_mins) is the limit of a create or
    delete. If the service cannot be reached (connection refused or timed
    out, HTTP 502/503/504), the request that starts a create or delete fails
    the resource at once, with the endpoint and the error. While a create or
    delete waits for the capsule, a service that becomes unreachable (a
    restart) is polled again until it has been unreachable for
    "[clients_zun_capsule] unreachable_timeout" seconds of heat.conf
    (default 120); the resource then fails with "The container service at
    <url> has been unreachable for N s: <error>". A capsule still Creating
    or Deleting, or a service still unreachable, 5 s before the stack's
    timeout fails the resource with that reason instead of Heat's bare
    "Timed out". One request may take "[clients_zun_capsule]
    request_timeout" seconds (default 60) before it counts as timed out.

    Readiness. With created_when "healthy", the resource is complete only
    once, in addition, every container with a healthcheck reports healthy
    (an extension of the heat-capsule engine; Zun has no healthcheck in
    capsules), so resources that depend on it start after the service is
    ready.

    Kept volumes. A volume created from size without auto_remove outlives
    the capsule and its stack; the "volumes" attribute gives its id, which
    a later capsule passes as volume_id to attach it again. On the
    heat-capsule engine such a volume is listed and deleted with
    GET/DELETE /v1/volumes (engine extension).

    Graceful delete. Deleting (or replacing) the capsule gives its
    containers their stop signal and up to termination_grace_period seconds
    to exit before they are killed (the heat-capsule engine; a real Zun
    kills at once). The delete waits that long at most, as one still
    Deleting: validation refuses a grace period the stack's timeout leaves
    no room for, and a delete still waiting near the timeout fails with the
    capsule's reason ("Stopping: sent SIGTERM to ...").

    Suspend and resume. Stack suspend pauses the capsule's containers
    (Docker's freezer) and completes once the capsule is Paused; resume
    unpauses them and completes once it is Running. This is an extension
    of the heat-capsule engine; against a real Zun, which cannot pause a
    capsule, the suspend fails saying so.

    Endpoints. ports[].host_port publishes a port on that port of the
    container host (the bundled engine honours it, Zun ignores it); the
    "endpoints" attribute lists where every declared port is published
    (an engine extension: empty against Zun), e.g. for a URL output built
    with yaql (templates/webserver.yaml).

    Zun and the engine alike. Engine extensions are used only when the
    service advertises them (``heat_capsule.heat.features``); containers
    are related to the template's by position, never by name (Zun renames
    them), and the containers attributes carry each one's "template_name".
    """

    support_status = support.SupportStatus(
        version='27.0.0',
        status=support.UNSUPPORTED,
        message=_('Provided by the heat-capsule plugin, not by the Heat '
                  'project.'))

    default_client_name = tmpl.CLIENT_NAME

    entity = 'capsules'

    PROPERTIES = (
        NAME, LABELS, ANNOTATIONS, RESTART_POLICY, AVAILABILITY_ZONE,
        CONTAINERS, INIT_CONTAINERS, VOLUMES, CREATED_WHEN,
        TERMINATION_GRACE_PERIOD,
    ) = tmpl.PROPERTIES

    ATTRIBUTES = (
        ADDRESSES_ATTR, STATUS_ATTR, STATUS_REASON_ATTR, CONTAINERS_ATTR,
        INIT_CONTAINERS_ATTR, CPU_ATTR, MEMORY_ATTR, NAME_ATTR, LABELS_ATTR,
        ANNOTATIONS_ATTR, LOGS_ATTR, VOLUMES_ATTR, EXIT_CODES_ATTR,
        ENDPOINTS_ATTR,
    ) = (
        'addresses', 'status', 'status_reason', 'containers',
        'init_containers', 'cpu', 'memory', 'name', 'labels',
        'annotations', 'logs', 'volumes', 'exit_codes', 'endpoints',
    )

    # Lines of each container's log the "logs" attribute shows.
    LOG_LINES = 50
    # What the "volumes" attribute keeps of each volume the engine reports.
    VOLUME_KEYS = ('name', 'id', 'size', 'auto_remove')
    # Lines of a failing container's log a failure reason quotes.
    FAILURE_LOG_LINES = 10
    # A wait for stability shorter than this is slept within one poll
    # (Heat polls every second), so it adds no more than it must.
    STABLE_WAIT_MAX = 1.0

    properties_schema = {
        NAME: properties.Schema(
            properties.Schema.STRING,
            _('Name of the capsule. Defaults to a name made from the stack '
              'and resource names.'),
            constraints=_name_constraints(),
        ),
        LABELS: properties.Schema(
            properties.Schema.MAP,
            _('Labels of the capsule: key/value pairs, stored as strings.'),
        ),
        ANNOTATIONS: properties.Schema(
            properties.Schema.MAP,
            _('Annotations of the capsule: key/value pairs stored with it; '
              'values are sent as strings, like labels, so the template '
              'works on both Zun and the heat-capsule engine.'),
        ),
        RESTART_POLICY: properties.Schema(
            properties.Schema.STRING,
            _('What to do when a container exits.'),
            default=tmpl.RESTART_POLICIES[0],
            constraints=[constraints.AllowedValues(tmpl.RESTART_POLICIES)],
        ),
        AVAILABILITY_ZONE: properties.Schema(
            properties.Schema.STRING,
            _('Availability zone in which to run the capsule.'),
            constraints=[constraints.Length(min=1, max=255)],
        ),
        CONTAINERS: properties.Schema(
            properties.Schema.LIST,
            _('The containers of the capsule; at least one. They start '
              'once every init container has finished.'),
            required=True,
            constraints=[constraints.Length(min=1)],
            schema=_container_schema(_('A container of the capsule.')),
        ),
        INIT_CONTAINERS: properties.Schema(
            properties.Schema.LIST,
            _('Containers that run one after another, each to completion, '
              'before the containers start.'),
            schema=_container_schema(_('An init container of the '
                                       'capsule.'), init=True),
        ),
        CREATED_WHEN: properties.Schema(
            properties.Schema.STRING,
            _('When the resource is CREATE_COMPLETE, and so when resources '
              'that depend on it start: "started" once the capsule is '
              'Running; "healthy" once, in addition, every container with '
              'a healthcheck reports healthy (the resource fails with the '
              'check\'s output if one turns unhealthy). "healthy" needs at '
              'least one healthcheck.'),
            default=tmpl.CREATED_STARTED,
            constraints=[constraints.AllowedValues(
                tmpl.CREATED_WHEN_VALUES)],
        ),
        TERMINATION_GRACE_PERIOD: properties.Schema(
            properties.Schema.INTEGER,
            _('Seconds the containers get to shut down when the capsule is '
              'deleted (or replaced): each gets its stop signal (the '
              'image\'s STOPSIGNAL, else SIGTERM), and what still runs '
              'after this long is killed. 0 kills at once. Unset: the '
              'service\'s default (10 s on the heat-capsule engine, whose '
              'operator also sets the largest value allowed). An extension '
              'of the heat-capsule engine (Kubernetes\' '
              'terminationGracePeriodSeconds); a real Zun ignores it. The '
              'delete waits for it, so it must fit in the stack\'s '
              'timeout.'),
            constraints=[constraints.Range(min=0, max=86400)],
        ),
        VOLUMES: properties.Schema(
            properties.Schema.LIST,
            _('Volumes the containers can mount. Each is either a new '
              'volume of the given size or an existing volume given by '
              'volume_id (a Cinder volume on Zun). Every volume must be '
              'mounted by at least one container.'),
            schema=properties.Schema(
                properties.Schema.MAP,
                schema={
                    tmpl.VOLUME_NAME: properties.Schema(
                        properties.Schema.STRING,
                        _('Name of the volume, unique within the capsule; '
                          'volume_mounts refer to it.'),
                        required=True,
                        constraints=_name_constraints(),
                    ),
                    tmpl.VOLUME_SIZE: properties.Schema(
                        properties.Schema.INTEGER,
                        _('Size in GiB of a new volume to create. Exactly '
                          'one of size and volume_id must be given.'),
                        constraints=[constraints.Range(min=1)],
                    ),
                    tmpl.VOLUME_ID: properties.Schema(
                        properties.Schema.STRING,
                        _('UUID of an existing volume to use. Exactly one '
                          'of size and volume_id must be given.'),
                        constraints=[constraints.Length(min=36, max=36)],
                    ),
                    tmpl.VOLUME_AUTO_REMOVE: properties.Schema(
                        properties.Schema.BOOLEAN,
                        _('Whether a volume created from size is deleted '
                          'with the capsule. The service keeps it by '
                          'default; existing volumes are never deleted.'),
                    ),
                },
            ),
        ),
    }

    attributes_schema = {
        ADDRESSES_ATTR: attributes.Schema(
            _('Addresses of the capsule, keyed by network ID; each a list '
              'of maps with "addr", "version", "port" and "subnet_id". '
              'Empty until the capsule has been wired to a network.'),
            type=attributes.Schema.MAP,
        ),
        STATUS_ATTR: attributes.Schema(
            _('Status of the capsule: Creating, Created, Running, Stopped, '
              'Error or Deleting.'),
            type=attributes.Schema.STRING,
        ),
        STATUS_REASON_ATTR: attributes.Schema(
            _('Why the capsule is in its status, typically the error '
              'message when the status is Error.'),
            type=attributes.Schema.STRING,
        ),
        CONTAINERS_ATTR: attributes.Schema(
            _('The containers of the capsule as the service reports them, '
              'in template order: maps with "uuid", "name", "image", '
              '"status", "status_reason" and more, plus "template_name", '
              'the name the template gave it (a real Zun renames capsule '
              'containers "capsule-<capsule name>-<word>-<n>", so select '
              'by "template_name" or by position, not by "name").'),
            type=attributes.Schema.LIST,
        ),
        INIT_CONTAINERS_ATTR: attributes.Schema(
            _('The init containers of the capsule, in the same form as '
              '"containers".'),
            type=attributes.Schema.LIST,
        ),
        CPU_ATTR: attributes.Schema(
            _('Virtual CPUs of the capsule, a number such as 0.5: the sum '
              'over its containers, or the largest init container\'s value '
              'if that is higher.'),
        ),
        MEMORY_ATTR: attributes.Schema(
            _('Memory of the capsule in MiB, computed like "cpu".'),
            type=attributes.Schema.INTEGER,
        ),
        NAME_ATTR: attributes.Schema(
            _('Name of the capsule.'),
            type=attributes.Schema.STRING,
        ),
        LABELS_ATTR: attributes.Schema(
            _('Labels of the capsule.'),
            type=attributes.Schema.MAP,
        ),
        ANNOTATIONS_ATTR: attributes.Schema(
            _('Annotations of the capsule.'),
            type=attributes.Schema.MAP,
        ),
        LOGS_ATTR: attributes.Schema(
            _('What the containers and init containers printed: a map of '
              'container name to its last 50 lines (stdout and stderr), '
              'read from the service when the attribute is read. A '
              'container whose log cannot be read maps to "".'),
            type=attributes.Schema.MAP,
            cache_mode=attributes.Schema.CACHE_NONE,
        ),
        VOLUMES_ATTR: attributes.Schema(
            _('The volumes of the capsule: a list of maps with "name" (as '
              'in the volumes property), "id", "size" and "auto_remove". '
              'A volume that is not auto-removed outlives the capsule: '
              'pass its id as volume_id to attach it to another capsule. '
              'Empty against a service without the volumes extension '
              '(Zun).'),
            type=attributes.Schema.LIST,
        ),
        EXIT_CODES_ATTR: attributes.Schema(
            _('The latest exit code of each container and init container, '
              'by name; null for one that has not exited (a job capsule '
              'shows its results here).'),
            type=attributes.Schema.MAP,
            cache_mode=attributes.Schema.CACHE_NONE,
        ),
        ENDPOINTS_ATTR: attributes.Schema(
            _('Where the declared ports are published on the container '
              'host: maps with "container", "container_port", "protocol", '
              '"host_ip" and "host_port", read from the service when the '
              'attribute is read (an ephemeral host port can change when '
              'the host restarts). Empty against a service without this '
              'heat-capsule engine extension (Zun).'),
            type=attributes.Schema.LIST,
            cache_mode=attributes.Schema.CACHE_NONE,
        ),
    }

    # What an attribute resolves to when there is no capsule (not created
    # yet, or deleted behind Heat's back).
    _EMPTY_ATTRIBUTES = {
        ADDRESSES_ATTR: dict, STATUS_ATTR: str, STATUS_REASON_ATTR: str,
        CONTAINERS_ATTR: list, INIT_CONTAINERS_ATTR: list,
        CPU_ATTR: lambda: None, MEMORY_ATTR: lambda: None, NAME_ATTR: str,
        LABELS_ATTR: dict, ANNOTATIONS_ATTR: dict, LOGS_ATTR: dict,
        VOLUMES_ATTR: list,
        EXIT_CODES_ATTR: dict,
        ENDPOINTS_ATTR: list,
    }

    # -- validation -------------------------------------------------------

    def _invalid(self, path, message):
        section = self.stack.t.get_section_name(rsrc_defn.PROPERTIES)
        return exception.StackValidationFailed(
            error=_('Property error'),
            path=[self.stack.t.RESOURCES, self.t.name, section] + path,
            message=message)

    def _unresolved(self, path, leaf_only=False):
        """Whether the raw value at ``path`` is still an intrinsic function.

        At validation time ``get_attr`` of a resource that does not exist
        yet resolves to None (or '' for a string); such a value is unknown,
        not missing. ``leaf_only``: a function around the value (an ``if``
        choosing a whole volume, say) does not count; the resolved value
        says what it chose.
        """
        value = self.properties.data
        for key in path:
            if isinstance(value, function.Function):
                return not leaf_only
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return False
        return isinstance(value, function.Function)

    def validate(self):
        """Check the rules that span properties; nothing is created.

        * size xor volume_id on every volume, and unique volume names;
        * container names unique across containers and init_containers;
        * every volume mount names a declared volume, and every declared
          volume is mounted somewhere (Zun rejects unused volumes);
        * a volume_id is used once;
        * label, annotation and environment values are scalars;
        * what Docker would refuse (``heat_capsule.bounds``, shared with the
          bundled engine): image references, mount paths and working
          directories once normalised, mounts inside read-only ones,
          argument and environment sizes.
        """
        super().validate()
        for key in (self.LABELS, self.ANNOTATIONS):
            self._validate_string_map([key], self.properties[key])
        self._validate_created_when()
        self._validate_grace_period()
        declared = self._validate_volumes()
        mounted = self._validate_containers(declared)
        if mounted is None:
            return  # some mount is not resolved yet: cannot tell
        for index, volume in enumerate(self.properties[self.VOLUMES] or []):
            if volume[tmpl.VOLUME_NAME] not in mounted:
                raise self._invalid(
                    [self.VOLUMES, index, tmpl.VOLUME_NAME],
                    _('Volume "%s" is not mounted by any container.')
                    % volume[tmpl.VOLUME_NAME])

    def _validate_created_when(self):
        if self.properties[self.CREATED_WHEN] != tmpl.CREATED_HEALTHY:
            return
        if not any(container.get(tmpl.HEALTHCHECK)
                   or self._unresolved([self.CONTAINERS, index,
                                        tmpl.HEALTHCHECK])
                   for index, container in enumerate(
                       self.properties[self.CONTAINERS] or [])):
            raise self._invalid(
                [self.CREATED_WHEN],
                _('"%s" needs at least one container with a healthcheck.')
                % tmpl.CREATED_HEALTHY)

    def _validate_grace_period(self):
        """A delete waits up to the grace period: the stack's timeout must
        leave room for it (and for TIMEOUT_MARGIN)."""
        grace = self.properties[self.TERMINATION_GRACE_PERIOD]
        room = self.stack.timeout_secs() - self.TIMEOUT_MARGIN
        if grace is not None and grace >= room:
            raise self._invalid(
                [self.TERMINATION_GRACE_PERIOD],
                _('A delete of this capsule may wait %(grace)d s for its '
                  'containers to stop, which the stack\'s timeout of '
                  '%(timeout)d s does not leave room for; use less than '
                  '%(room)d s or a longer timeout.')
                % {'grace': grace, 'timeout': self.stack.timeout_secs(),
                   'room': room})

    def _validate_volumes(self):
        """Check the volumes; return the set of declared volume names."""
        declared, claimed = set(), {}
        for index, volume in enumerate(self.properties[self.VOLUMES] or []):
            path = [self.VOLUMES, index]
            name = volume[tmpl.VOLUME_NAME]
            if name in declared:
                raise self._invalid(
                    path + [tmpl.VOLUME_NAME],
                    _('Volume name "%s" is declared more than once.') % name)
            declared.add(name)
            volume_id = volume.get(tmpl.VOLUME_ID)
            if volume_id and not self._unresolved(path + [tmpl.VOLUME_ID]):
                if volume_id in claimed:
                    raise self._invalid(
                        path + [tmpl.VOLUME_ID],
                        _('Volume %(id)s is already used by %(other)s; a '
                          'volume can be attached once per capsule.')
                        % {'id': volume_id, 'other': claimed[volume_id]})
                claimed[volume_id] = '%s[%d]' % (self.VOLUMES, index)
            given = [key for key in (tmpl.VOLUME_SIZE, tmpl.VOLUME_ID)
                     if volume.get(key) not in (None, '')
                     or self._unresolved(path + [key], leaf_only=True)]
            where = ['%s[%d].%s' % (self.VOLUMES, index, key)
                     for key in (tmpl.VOLUME_SIZE, tmpl.VOLUME_ID)]
            if len(given) == 2:
                raise exception.ResourcePropertyConflict(*where)
            if not given and not any(
                    self._unresolved(path + [key])
                    for key in (tmpl.VOLUME_SIZE, tmpl.VOLUME_ID)):
                raise exception.PropertyUnspecifiedError(*where)
        return declared

    def _validate_containers(self, declared):
        """Check names, environments and mounts of all containers.

        Return the set of mounted volume names, or None when a mount's
        volume name is not resolved yet.
        """
        owners = {}
        mounted = set()
        unresolved = False
        for key in (self.CONTAINERS, self.INIT_CONTAINERS):
            for index, container in enumerate(self.properties[key] or []):
                path = [key, index]
                name = container.get(tmpl.CONTAINER_NAME)
                if name in owners:
                    raise self._invalid(
                        path + [tmpl.CONTAINER_NAME],
                        _('Container name "%(name)s" is already used by '
                          '%(other)s; names must be unique across '
                          'containers and init_containers.')
                        % {'name': name, 'other': owners[name]})
                if name:
                    owners[name] = '%s[%d]' % (key, index)
                self._validate_string_map(path + [tmpl.ENVIRONMENT],
                                          container.get(tmpl.ENVIRONMENT))
                for where, message in docker_checks.container_problems(
                        path, container, self._unresolved):
                    raise self._invalid(where, message)
                mounts = container.get(tmpl.VOLUME_MOUNTS) or []
                for m_index, mount in enumerate(mounts):
                    m_path = path + [tmpl.VOLUME_MOUNTS, m_index,
                                     tmpl.MOUNT_VOLUME_NAME]
                    volume = mount.get(tmpl.MOUNT_VOLUME_NAME)
                    if self._unresolved(m_path):
                        unresolved = True
                    elif volume not in declared:
                        raise self._invalid(
                            m_path,
                            _('Volume "%s" is not declared in the '
                              '"volumes" property.') % volume)
                    mounted.add(volume)
        return None if unresolved else mounted

    def _validate_string_map(self, path, mapping):
        for key, value in (mapping or {}).items():
            if isinstance(value, (dict, list)):
                raise self._invalid(
                    path + [key],
                    _('The value must be a string, number or boolean, '
                      'not a list or a map.'))

    # -- lifecycle --------------------------------------------------------

    def _default_name(self):
        return tmpl.safe_name(self.physical_resource_name(),
                              self.physical_resource_name_limit)

    def handle_create(self):
        template = tmpl.build_template(self.properties,
                                       default_name=self._default_name())
        self._fit_to_service(template)
        capsule = self._start(self.client().capsules.create,
                              template=template)
        self.resource_id_set(capsule.uuid)
        return capsule.uuid

    def _fit_to_service(self, template):
        """Leave out or refuse what the service does not offer.

        See ``heat_capsule.heat.features``: one GET / per create.
        """
        plugin = self.client_plugin()
        try:
            offered = features.advertised(self.client())
        except Exception as exc:
            if plugin.is_unreachable(exc):
                raise plugin.unreachable_error(exc) from exc
            LOG.info('%(rsrc)s: no extensions read from the container '
                     'service: %(error)s', {'rsrc': self, 'error': exc})
            offered = frozenset()
        try:
            left_out = features.adapt(
                template, offered, healthy_gate=self.properties[
                    self.CREATED_WHEN] == tmpl.CREATED_HEALTHY)
        except features.Unsupported as exc:
            raise exception.Error(str(exc))
        if left_out:
            LOG.warning('%(rsrc)s: the container service does not offer '
                        '%(fields)s (heat-capsule engine extensions); '
                        'left out of the request.',
                        {'rsrc': self, 'fields': ', '.join(left_out)})

    def check_create_complete(self, capsule_id):
        return self._complete(capsule_id)

    def _complete(self, capsule_id, baseline=None):
        """Poll the capsule and apply the rule (see heat_capsule.heat.verdict
        and the class docstring): True when complete, False to wait; a
        failure raises ResourceInError naming the containers at fault."""
        # Containers named as in the template (a real Zun renames them; see
        # template.relate_containers), so reasons, the health gate and the
        # stability clock speak of the names the template author wrote.
        capsule = self._poll(capsule_id)
        if capsule is None:
            return False
        capsule = self._template_named(capsule)
        found = self._judge(capsule, baseline)
        if (found.outcome == verdict.WAIT and found.retry_in is not None
                and found.retry_in <= self.STABLE_WAIT_MAX):
            time.sleep(found.retry_in)
            capsule = self._poll(capsule_id)
            if capsule is None:
                return False
            capsule = self._template_named(capsule)
            found = self._judge(capsule, baseline)
        if found.outcome == verdict.COMPLETE:
            return True
        if found.outcome == verdict.WAIT:
            self._fail_if_out_of_time(
                capsule if capsule.get('status') in verdict.IN_PROGRESS
                else dict(capsule, status_reason=found.reason))
            return False
        raise exception.ResourceInError(
            resource_status=capsule.get('status'),
            status_reason=_('Capsule "%(name)s" failed: %(reason)s')
            % {'name': self.name,
               # The service's words cut to a readable length; the log
               # lines quoted (FAILURE_LOG_LINES of each failing container)
               # get a budget of their own.
               'reason': features.shorten(found.reason) + features.shorten(
                   self._last_lines(capsule, found.failing),
                   4 * features.REASON_MAX)})

    _running_seen = None   # {name: monotonic time first seen running}

    def _judge(self, capsule, baseline):
        healthchecked = self._healthchecked(capsule)
        return verdict.judge(
            capsule, restart_policy=self.properties[self.RESTART_POLICY],
            healthchecked=healthchecked,
            stable_seconds=self.client_plugin().stable_seconds(),
            baseline=baseline, ages=self._ages(capsule))

    def _template_named(self, capsule):
        """`capsule` with each container's "name" its template name."""
        renamed = {tmpl.CONTAINERS: [], tmpl.INIT_CONTAINERS: []}
        for key, name, _declared, found in tmpl.relate_containers(
                self.properties, capsule):
            renamed[key].append(dict(found, name=name))
        return dict(capsule, containers=renamed[tmpl.CONTAINERS],
                    init_containers=renamed[tmpl.INIT_CONTAINERS])

    def _ages(self, capsule):
        """{name: seconds Heat has seen it running}: the fallback clock for
        a service whose containers carry no "uptime" (Zun)."""
        now = time.monotonic()
        seen = self._running_seen = self._running_seen or {}
        for container in capsule.get('containers') or []:
            name, count = container.get('name'), container.get(
                'restart_count')
            if container.get('status') != tmpl.RUNNING:
                seen.pop(name, None)
            elif seen.get(name, (None,))[0] != count or name not in seen:
                seen[name] = (count, now)
        return {name: now - since for name, (_count, since) in seen.items()}

    def _healthchecked(self, capsule):
        """Names of the containers created_when "healthy" waits for.

        A service that does not report the healthchecks it was given (a
        real Zun has none in capsules) would never say healthy: that fails.
        """
        if self.properties[self.CREATED_WHEN] != tmpl.CREATED_HEALTHY:
            return ()
        asked = set()
        # By position: a real Zun renames the containers. The service's
        # report is judged once the capsule runs (the engine shows the
        # checks from the create on; Zun never does).
        for key, name, declared, container in tmpl.relate_containers(
                self.properties, capsule):
            if key != self.CONTAINERS or not (declared or {}).get(
                    tmpl.HEALTHCHECK):
                continue
            asked.add(name)
            if capsule.get('status') == tmpl.RUNNING and \
                    not container.get('healthcheck'):
                raise exception.Error(
                    _('Capsule "%(name)s": the container service does not '
                      'report the healthcheck of container %(container)s; '
                      'created_when "healthy" needs the heat-capsule engine '
                      '(Zun has no healthcheck in capsules).')
                    % {'name': self.name,
                       'container': container.get('name')})
        return asked

    def _last_lines(self, capsule, names):
        """'; last log lines of <name>:\n...' for each named container."""
        text = ''
        for container in capsule.get('containers') or []:
            if container.get('name') not in names:
                continue
            try:
                lines = self.client().containers.logs(
                    container['uuid'], stdout=True, stderr=True,
                    tail=self.FAILURE_LOG_LINES, timestamps=False,
                    since=None)
            except Exception as exc:
                LOG.debug('%(rsrc)s: no log for %(name)s: %(error)s',
                          {'rsrc': self, 'name': container.get('name'),
                           'error': exc})
                continue
            lines = (lines or '').strip()
            name = container['name']
            text += ('; last log lines of %s:\n%s' % (name, lines) if lines
                     else '; %s printed nothing' % name)
        return text

    def handle_delete(self):
        """Request deletion; the token remembers the status before it.

        Deletion is asynchronous. If the capsule was not in Error before and
        goes to Error afterwards, the service failed to delete it.
        """
        if self.resource_id is None:
            return None
        with self.client_plugin().ignore_not_found:
            capsule = self._start(self.client().capsules.get,
                                  self.resource_id)
            self._start(self.client().capsules.delete, self.resource_id)
            return self.resource_id, capsule.to_dict().get('status')
        return None

    def check_delete_complete(self, token):
        if not token:
            return True
        capsule_id, status_before = token
        try:
            capsule = self._poll(capsule_id)
        except exception.EntityNotFound:
            return True
        except Exception as exc:
            self.client_plugin().ignore_not_found(exc)
            return True
        if capsule is None:
            return False
        if (capsule.get('status') == tmpl.ERROR
                and status_before != tmpl.ERROR):
            raise exception.ResourceInError(
                resource_status=tmpl.ERROR,
                status_reason=_('Capsule "%(name)s" could not be deleted: '
                                '%(reason)s')
                % {'name': self.name, 'reason': features.shorten(
                    capsule.get('status_reason'))})
        self._fail_if_out_of_time(capsule)
        return False

    def handle_check(self):
        """Read the capsule; its restart counts are the check's baseline."""
        self._running_seen = None
        capsule = self.client().capsules.get(self.resource_id)
        if capsule is None:
            raise exception.EntityNotFound(entity='Capsule',
                                           name=self.resource_id)
        return verdict.restart_counts(
            self._template_named(capsule.to_dict()))

    def check_check_complete(self, baseline):
        return self._complete(self.resource_id, baseline=baseline)

    # -- reaching the service (see "Timeouts" in the class docstring) ------

    # A wait still going on this many seconds before the stack's timeout
    # fails with its own reason; Heat would only say "Timed out".
    TIMEOUT_MARGIN = 5

    _unreachable_since = None   # monotonic time of the first failed poll

    def _start(self, call, *args, **kwargs):
        """Make a request that starts an action; unreachable fails at once."""
        try:
            result = call(*args, **kwargs)
        except Exception as exc:
            plugin = self.client_plugin()
            if plugin.is_unreachable(exc):
                raise plugin.unreachable_error(exc) from exc
            raise features.shorten_error(exc)
        self._unreachable_since = None
        return result

    def _poll(self, capsule_id):
        """GET the capsule a create or delete waits on.

        Return it as a dict, or None while the service is unreachable and
        may still be waited for; EntityNotFound if the service has no such
        capsule (zunclient's None), zunclient's NotFound as it comes.
        """
        try:
            capsule = self.client().capsules.get(capsule_id)
        except Exception as exc:
            plugin = self.client_plugin()
            if not plugin.is_unreachable(exc):
                raise
            now = time.monotonic()
            first = self._unreachable_since is None
            if first:
                self._unreachable_since = now
            waited = now - self._unreachable_since
            if (waited >= plugin.unreachable_timeout()
                    or self._out_of_time()):
                raise plugin.unreachable_error(exc, waited) from exc
            (LOG.warning if first else LOG.debug)(
                '%(rsrc)s: container service unreachable for %(s)d s, '
                'polling again: %(error)s',
                {'rsrc': self, 's': waited, 'error': exc})
            return None
        self._unreachable_since = None
        if capsule is None:
            raise exception.EntityNotFound(entity='Capsule', name=capsule_id)
        return capsule.to_dict()

    def _out_of_time(self):
        """Whether the stack's timeout is less than TIMEOUT_MARGIN away."""
        if not (self.stack.updated_time or self.stack.created_time):
            return False   # a stack never stored has no clock
        return self.stack.time_remaining() <= self.TIMEOUT_MARGIN

    def _fail_if_out_of_time(self, capsule):
        if self._out_of_time():
            raise exception.Error(
                _('Capsule "%(name)s" is still %(status)s %(elapsed)d s '
                  'into the stack\'s %(timeout)d s timeout: %(reason)s')
                % {'name': self.name, 'status': capsule.get('status'),
                   'elapsed': self.stack.time_elapsed(),
                   'timeout': self.stack.timeout_secs(),
                   'reason': features.shorten(capsule.get('status_reason')
                                              or _('no reason given'))})

    # -- attributes -------------------------------------------------------

    def _resolve_attribute(self, name):
        empty = self._EMPTY_ATTRIBUTES[name]()
        if self.resource_id is None:
            return empty
        if name == self.ENDPOINTS_ATTR:
            return endpoints.fetch(self.client(), self.resource_id)
        try:
            capsule = self.client().capsules.get(self.resource_id)
        except Exception as exc:
            self.client_plugin().ignore_not_found(exc)
            return empty
        if name == self.LOGS_ATTR:
            return self._logs(capsule.to_dict()) if capsule else empty
        if name == self.VOLUMES_ATTR:
            return self._volumes() if capsule else empty
        if name == self.EXIT_CODES_ATTR:
            if not capsule:
                return empty
            view = capsule.to_dict()
            template_names = {
                found.get('name'): template_name
                for _key, template_name, _declared, found
                in tmpl.relate_containers(self.properties, view)}
            return {template_names.get(service_name, service_name): code
                    for service_name, code
                    in verdict.exit_codes(view).items()}
        if name in (self.CONTAINERS_ATTR, self.INIT_CONTAINERS_ATTR):
            return [dict(found, template_name=template_name)
                    for key, template_name, _declared, found
                    in tmpl.relate_containers(self.properties,
                                              capsule.to_dict())
                    if key == name] if capsule else empty
        value = capsule.to_dict().get(name) if capsule else None
        if value is None:
            return empty
        if name == self.MEMORY_ATTR:
            # Zun reports memory as a string of MiB, e.g. "512".
            try:
                return int(value)
            except (TypeError, ValueError):
                return value
        return value

    def _logs(self, capsule):
        """{template name: its last LOG_LINES lines}, init ones included.

        Keyed by the template's names (by position, see
        ``template.relate_containers``), so the keys are the same on Zun.
        """
        logs = {}
        for _key, name, _declared, container in tmpl.relate_containers(
                self.properties, capsule):
            try:
                text = self.client().containers.logs(
                    container['uuid'], stdout=True, stderr=True,
                    tail=self.LOG_LINES, timestamps=False, since=None)
            except Exception as exc:
                # Gone, not created yet, or a service without capsule logs
                # (Zun): an attribute read must not fail the stack.
                LOG.debug('%(rsrc)s: no log for %(name)s: %(error)s',
                          {'rsrc': self, 'name': container.get('name'),
                           'error': exc})
                text = ''
            logs[name] = text or ''
        return logs

    def _volumes(self):
        """[{name, id, size, auto_remove}] of the capsule's volumes.

        heat-capsule-engine's extension ``GET /capsules/{id}/volumes``;
        [] when the service has none (Zun answers 404) or the call fails:
        reading an attribute must not fail the stack.
        """
        try:
            _resp, body = self.client().capsules.api.json_request(
                'GET', '/capsules/%s/volumes' % self.resource_id)
        except Exception as exc:
            LOG.debug('%(rsrc)s: no volumes: %(error)s',
                      {'rsrc': self, 'error': exc})
            return []
        volumes = body.get('volumes') if isinstance(body, dict) else None
        return [{key: item.get(key) for key in self.VOLUME_KEYS}
                for item in volumes or () if isinstance(item, dict)]

    def _resolve_any_attribute(self, attr):
        value = super()._resolve_any_attribute(attr)
        if value is None and attr == self.SHOW:
            return {}
        return value


def resource_mapping():
    return {RESOURCE_TYPE: Capsule}


def available_resource_mapping():
    """The mapping Heat registers: empty when a dependency is missing.

    The type needs python-zunclient and the ``zun_capsule`` client plugin,
    which the ``heat.clients`` entry point registers once the heat-capsule
    distribution is installed. Without either, the type is not offered and
    heat-engine starts normally.
    """
    if importutils.try_import('zunclient.client') is None:
        LOG.warning('%s is not available: python-zunclient cannot be '
                    'imported.', RESOURCE_TYPE)
        return {}
    clients.initialise()
    if not clients.has_client(tmpl.CLIENT_NAME):
        LOG.warning('%(type)s is not available: the Heat client plugin '
                    '"%(client)s" is not registered (is the heat-capsule '
                    'distribution installed?).',
                    {'type': RESOURCE_TYPE, 'client': tmpl.CLIENT_NAME})
        return {}
    return resource_mapping()

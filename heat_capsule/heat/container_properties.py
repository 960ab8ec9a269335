"""OS::Zun::Capsule's property schemas of one container (Heat declarations).

``container_schema()`` is the schema of an item of ``containers`` and
``init_containers`` (the latter without ``healthcheck``), with the bounds
of ``heat_capsule.bounds`` as Heat constraints; ``name_constraints()`` the
constraints of Zun's names (capsule, container, volume).
"""

from heat.common.i18n import _
from heat.engine import constraints
from heat.engine import properties

from heat_capsule import bounds
from heat_capsule.heat import template as tmpl


def name_constraints():
    return [constraints.Length(min=2, max=tmpl.NAME_MAX_LENGTH),
            constraints.AllowedPattern(tmpl.NAME_PATTERN)]


def healthcheck_schema():
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


def container_schema(description, init=False):
    """Schema of one container; init containers have no healthcheck."""
    extra = {} if init else {tmpl.HEALTHCHECK: healthcheck_schema()}
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
                constraints=name_constraints(),
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

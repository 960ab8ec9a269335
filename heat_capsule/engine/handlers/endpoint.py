"""Engine extension: where a capsule's ports are published on the host.

* ``GET /v1/capsules/{ident}/endpoints`` ->
  ``{"endpoints": [{"container": "httpd", "container_port": 8080,
  "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": 32793}]}``, read
  from Docker at each call (an ephemeral host port changes when Docker
  re-publishes the sandbox after a restart).  Empty while the sandbox is
  not running.  503 when Docker does not answer.
* The create checks of ``ports[].hostPort`` (:func:`check_host_ports`), and
  the 409 of a host port another capsule holds (:func:`conflict`).
"""

from heat_capsule.engine import errors
from heat_capsule.engine.handlers import capsule as capsule_handlers
from heat_capsule.engine.handlers import util
from heat_capsule.engine.runtime import spec as runtime_spec
from heat_capsule.engine.views import endpoint as endpoint_view

PRIVILEGED_BELOW = 1024   # as Linux's ip_unprivileged_port_start default


def check_host_ports(capsule, conf):
    """400 for hostPorts a capsule record may not have.

    * below 1024 unless ``[runtime] allow_privileged_host_ports``;
    * one host port (and protocol) for two container ports of the capsule
      (its containers share one network namespace, so the same
      containerPort declared twice is one port).
    """
    seen = {}
    for container in capsule.containers:
        for index, port in enumerate(container.ports or ()):
            host_port = port.get('hostPort')
            if not host_port:
                continue
            field = 'template.spec.%s[%d].ports[%d].hostPort' % (
                'initContainers' if container.role == runtime_spec.ROLE_INIT
                else 'containers', container.position, index)
            protocol = port.get('protocol', 'TCP')
            if host_port < PRIVILEGED_BELOW and \
                    not conf.runtime.allow_privileged_host_ports:
                raise errors.SchemaValidationError(
                    "Invalid input for field '%s': %d is a privileged port "
                    "(below %d), which this engine does not publish "
                    "([runtime] allow_privileged_host_ports is false)."
                    % (field, host_port, PRIVILEGED_BELOW))
            key = (host_port, protocol)
            other = seen.setdefault(key, port['containerPort'])
            if other != port['containerPort']:
                raise errors.SchemaValidationError(
                    "Invalid input for field '%s': host port %d/%s is "
                    "given to container ports %d and %d of the capsule."
                    % (field, host_port, protocol.lower(), other,
                       port['containerPort']))


def conflict(exc, context):
    """The 409 for a db.host_ports.HostPortInUse.

    The holder's uuid is named when it is a capsule of the caller's project
    (or the caller is an admin); another project's capsule stays unnamed.
    """
    what = 'Host port %s/%s' % (exc.port, exc.protocol)
    if exc.capsule_uuid is None:
        return errors.Conflict('%s is in use by another capsule.' % what)
    if context.is_admin or exc.project_id == context.project_id:
        return errors.Conflict('%s is in use by capsule %s.'
                               % (what, exc.capsule_uuid))
    return errors.Conflict('%s is in use by a capsule of another project.'
                           % what)


def list_capsule_endpoints(req):
    capsule = capsule_handlers._lookup(req, req.urlvars['ident'])
    util.enforce(req, 'capsule:get', capsule.project_id)
    try:
        published = req.services.docker().published_ports(capsule.uuid)
    except runtime_spec.DockerUnavailable as exc:
        raise errors.ServiceUnavailable(
            'Cannot read the endpoints of capsule %s: %s'
            % (capsule.uuid, exc))
    except runtime_spec.CapsuleRuntimeError as exc:
        raise errors.APIError(str(exc))
    containers = [(c.name, c.ports) for c in capsule.containers]
    return util.json_response(200, endpoint_view.endpoint_list(
        containers, published))

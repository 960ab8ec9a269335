"""The capsule's sandbox on Docker (a mixin of ``DockerDriver``).

The sandbox (``naming.sandbox_name``) owns the capsule's network and IPC
namespaces on its project's network (:mod:`runtime.networks`), exposes
and publishes every port of the capsule (:mod:`runtime.ports`), and is
what the capsule's addresses and hostname are read from.
"""


from docker import errors as docker_errors
from oslo_log import log as logging

from heat_capsule.engine.runtime import ports
from heat_capsule.engine.runtime import spec
from heat_capsule.engine.runtime.docker import config as docker_config
from heat_capsule.engine.runtime.docker import membership
from heat_capsule.engine.runtime.docker import naming
from heat_capsule.engine.runtime.docker import state as docker_state

LOG = logging.getLogger(__name__)


class SandboxMixin:
    """Needs the driver's plumbing (``_errors``, ``_api``...)."""

    def ensure_sandbox(self, capsule):
        """Create the sandbox of `capsule` when missing, start it if needed.

        The sandbox image is made present first (built when it is the
        engine's default image, pulled otherwise).  Before it is created or
        started, its project's network is made when missing (also when it
        was removed behind the engine's back) and a sandbox on another
        network (the shared one of earlier versions) is moved onto it.

        :returns: the sandbox's ContainerState.
        :raises networks.SubnetPoolExhausted: the project has no network
            and no subnet is left for one.
        """
        name = naming.sandbox_name(capsule.uuid)
        with self._errors('set up sandbox %s' % name), \
                self.networks.using(capsule.project_id):
            info = self._inspect_container(name)
            status = None if info is None else info['State'].get('Status')
            if status == 'paused':
                self._api.unpause(info['Id'])
            elif status in (None, 'created', 'exited', 'dead'):
                network = self.networks.ensure(capsule.project_id)
                created = info is None
                if created:
                    info = self._create_sandbox(capsule, name, network)
                else:
                    self._move_to(info, network)
                self._start_sandbox(capsule, info, created)
                LOG.debug('Started sandbox %s', name)
            else:   # running; restarting is Docker's own business
                return docker_state.from_inspect(info)
            return docker_state.from_inspect(self._api.inspect_container(
                info['Id']))

    def _start_sandbox(self, capsule, info, created):
        """Start it; a host port taken (:func:`ports.bind_failure`) raises
        a CapsuleRuntimeError naming the port, after removing the sandbox
        when it was `created` by this call (nothing half-made is left; an
        older one, restarted by a repair, keeps its app containers)."""
        network = self.networks.name_of(capsule.project_id)
        try:
            # Joins side by side; never while a sandbox leaves (see
            # networks.ProjectNetworks.endpoints).
            with self.networks.endpoints(network).read_lock():
                self._api.start(info['Id'])
        except docker_errors.APIError as e:
            reason = ports.bind_failure(docker_config.reason(e, 1000), capsule,
                                        self.publish_host)
            if reason is None:
                raise
            if created:
                self._remove_sandbox(info['Id'], network)
            raise spec.CapsuleRuntimeError(reason) from e

    def published_ports(self, capsule_uuid):
        """What Docker publishes now for the capsule (see
        :func:`ports.published`); empty when its sandbox is not running."""
        with self._errors('inspect the sandbox of capsule %s'
                          % capsule_uuid):
            return ports.published(
                self._inspect_container(naming.sandbox_name(capsule_uuid)))

    def _move_to(self, info, network):
        """Attach a stopped sandbox to `network` only (an upgrade from the
        shared network, or a network made again under another id)."""
        attached = (info.get('NetworkSettings') or {}).get('Networks') or {}
        if list(attached) == [network.name]:
            return
        if network.name not in attached:
            self._api.connect_container_to_network(info['Id'], network.id)
        for other in attached:
            if other != network.name:
                self._api.disconnect_container_from_network(
                    info['Id'], other, force=True)
        if attached and network.name not in attached:
            LOG.info('Moved sandbox %s from network %s to %s',
                     info.get('Name', info['Id']).lstrip('/'),
                     ', '.join(sorted(attached)), network.name)

    def _create_sandbox(self, capsule, name, network):
        """Create the sandbox container; return its (possibly fresh) info."""
        self._ensure_sandbox_image()
        exposed = docker_config.capsule_ports(capsule)
        api = self._api
        host_config = api.create_host_config(
            network_mode=network.name,
            ipc_mode='shareable',
            restart_policy={'Name': 'unless-stopped'},
            port_bindings=ports.bindings(capsule, self.publish_host),
            **self.security.host_config(spec.ROLE_SANDBOX),
            **self.limits.host_config())
        networking_config = api.create_networking_config(
            {network.name: api.create_endpoint_config()})
        labels = self._labels(**{spec.LABEL_CAPSULE: capsule.uuid,
                                 spec.LABEL_ROLE: spec.ROLE_SANDBOX})

        def create():
            return api.create_container(
                self.sandbox_image, name=name,
                hostname=(capsule.hostname
                          or naming.default_hostname(capsule.uuid)),
                labels=labels, ports=exposed or None, detach=True,
                stop_signal='SIGKILL', host_config=host_config,
                networking_config=networking_config)

        try:
            created = create()
        except docker_errors.APIError as e:
            return self._created_meanwhile(name, e)
        LOG.info('Created sandbox %s on network %s', name, network.name)
        return membership.fresh(created['Id'])

    def _created_meanwhile(self, name, error):
        """The info of `name` after a create that failed with `error`.

        A name conflict means another sync created it: use that one.
        """
        if not docker_config.is_conflict(error):
            raise error
        info = self._inspect_container(name)
        if info is None:
            raise error
        return info

    def _running_sandbox(self, capsule_uuid):
        info = self._inspect_container(naming.sandbox_name(capsule_uuid))
        if info is None or info['State'].get('Status') != 'running':
            raise spec.CapsuleRuntimeError(
                'the sandbox of capsule %s is %s' % (
                    capsule_uuid,
                    'missing' if info is None else 'not running'))
        return info

    def addresses(self, capsule_uuid):
        """The sandbox's addresses (:func:`docker_state.addresses_of`);
        empty when the sandbox is missing or not running."""
        with self._errors('inspect the sandbox of capsule %s'
                          % capsule_uuid):
            info = self._inspect_container(naming.sandbox_name(capsule_uuid))
        return docker_state.addresses_of(info)

    def hostname(self, capsule_uuid):
        """The capsule's hostname (the sandbox's), or None without one."""
        with self._errors('inspect the sandbox of capsule %s'
                          % capsule_uuid):
            info = self._inspect_container(naming.sandbox_name(capsule_uuid))
        return info['Config'].get('Hostname') if info else None

"""Stopping and removing a capsule's containers (a mixin of
``DockerDriver``).

The graceful stop itself (signal, grace period, SIGKILL) is sequenced by
:mod:`runtime.stopping`; these are its Docker calls, and the removal of
everything a capsule has on Docker.
"""

import contextlib

from docker import errors as docker_errors
from oslo_log import log as logging

from heat_capsule.engine.runtime import spec
from heat_capsule.engine.runtime.docker import config as docker_config

LOG = logging.getLogger(__name__)


def _is_sandbox(entry):
    """Whether a ``GET /containers/json`` entry is a capsule's sandbox."""
    return (entry.get('Labels') or {}).get(spec.LABEL_ROLE) == \
        spec.ROLE_SANDBOX


class RemovalMixin:
    """Needs the driver's plumbing (``_errors``, ``_api``...)."""

    def remove_capsule(self, capsule_uuid):
        """Force-remove every container of a capsule, the sandbox last.

        Volumes are not touched (their lifecycle is the reconciler's).
        Anonymous volumes an image may have declared go with their container.
        Idempotent: containers already gone are fine.

        :returns: how many containers were removed.
        """
        with self._errors('remove capsule %s' % capsule_uuid):
            entries = self._list_containers(
                '%s=%s' % (spec.LABEL_CAPSULE, capsule_uuid))
            entries.sort(key=_is_sandbox)
            removed = 0
            for entry in entries:
                if _is_sandbox(entry):
                    removed += self._remove_sandbox(
                        entry['Id'],
                        (entry.get('HostConfig') or {}).get('NetworkMode'))
                else:
                    removed += self._remove_container(entry['Id'])
            if removed:
                LOG.info('Removed %d containers of capsule %s', removed,
                         capsule_uuid)
            return removed

    def send_stop_signal(self, docker_id):
        """Send a running container its stop signal; the signal, or None.

        The signal is the container's Config.StopSignal (Docker copies the
        image's STOPSIGNAL there), else SIGTERM.  Docker takes a
        container's own stop signal as fatal and disables its restart
        policy until the next start, as ``docker stop`` does, so it is not
        restarted while it shuts down.  None when the container is gone or
        not running (then there is nothing to wait for).
        """
        with self._errors('signal container %s' % docker_id):
            info = self._inspect_container(docker_id)
            state = (info or {}).get('State') or {}
            if not state.get('Running') or state.get('Restarting'):
                return None
            signal = info['Config'].get('StopSignal') or 'SIGTERM'
            try:
                self._api.kill(docker_id, signal=signal)
            except docker_errors.NotFound:
                return None
            except docker_errors.APIError as e:
                if docker_config.is_conflict(e):      # exited meanwhile
                    return None
                raise
            return signal

    def kill_container(self, docker_id):
        """SIGKILL a container; True if it was running."""
        with self._errors('kill container %s' % docker_id):
            try:
                self._api.kill(docker_id)
            except docker_errors.NotFound:
                return False
            except docker_errors.APIError as e:
                if docker_config.is_conflict(e):      # not running (any more)
                    return False
                raise
            return True

    def remove_container(self, docker_id):
        """Force-remove one container (SIGKILL if it runs); 1 or 0."""
        with self._errors('remove container %s' % docker_id):
            return self._remove_container(docker_id)

    def _stop_and_remove(self, docker_id, grace):
        """Docker's stop (stop signal, up to `grace` s, SIGKILL), then
        remove; `grace` None is the container's own stop timeout."""
        with contextlib.suppress(docker_errors.NotFound):
            self._api.stop(docker_id, timeout=grace)
        return self._remove_container(docker_id)

    def _remove_sandbox(self, docker_id, network):
        """Force-remove a sandbox on the Docker network named `network`
        with no other sandbox joining or leaving it meanwhile (a Docker
        20.10 deadlock, see :meth:`networks.ProjectNetworks.endpoints`);
        1 or 0 as :meth:`_remove_container`."""
        if not network:
            return self._remove_container(docker_id)
        with self.networks.endpoints(network).write_lock():
            return self._remove_container(docker_id)

    def _remove_container(self, docker_id):
        try:
            self._api.remove_container(docker_id, v=True, force=True)
            return 1
        except docker_errors.NotFound:
            return 0
        except docker_errors.APIError as e:
            if docker_config.is_conflict(e) and \
                    'in progress' in docker_config.reason(e):
                return 0
            raise

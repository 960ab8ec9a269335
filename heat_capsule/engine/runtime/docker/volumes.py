"""A capsule's volumes on Docker (a mixin of ``DockerDriver``).

One Docker named volume per capsule volume (``naming.volume_name``,
``local`` driver), labelled with its capsule, whether it is removed with
it, and the size asked for (recorded, not enforced).
"""

from docker import errors as docker_errors
from oslo_log import log as logging

from heat_capsule.engine.runtime import spec
from heat_capsule.engine.runtime.docker import naming

LOG = logging.getLogger(__name__)


class VolumesMixin:
    """Needs the driver's plumbing (``_errors``, ``_api``...)."""

    def ensure_volume(self, vol, capsule_uuid):
        """Create the Docker volume of `vol` when missing (idempotent).

        Labels: the volume uuid, the capsule that created it, auto-remove
        and the requested size in GiB (recorded, not enforced: see the
        module docstring).  An existing volume is left as it is.

        :returns: the Docker volume name.
        """
        name = naming.volume_name(vol.uuid)
        with self._errors('create volume %s' % name):
            try:
                self._api.inspect_volume(name)
                return name
            except docker_errors.NotFound:
                pass
            labels = self._labels(**{
                spec.LABEL_VOLUME: vol.uuid,
                spec.LABEL_CAPSULE: capsule_uuid,
                spec.LABEL_AUTO_REMOVE: 'true' if vol.auto_remove else 'false',
            })
            if vol.size is not None:
                labels[naming.LABEL_SIZE] = '%g' % vol.size
            self._api.create_volume(name=name, driver='local', labels=labels)
            LOG.info('Created volume %s for capsule %s', name, capsule_uuid)
            return name

    def volume_exists(self, volume_uuid):
        """True when the Docker volume of `volume_uuid` exists."""
        name = naming.volume_name(volume_uuid)
        with self._errors('look up volume %s' % name):
            try:
                self._api.inspect_volume(name)
            except docker_errors.NotFound:
                return False
            return True

    def remove_volume(self, volume_uuid):
        """Remove the Docker volume of `volume_uuid`; gone already is fine.

        :raises spec.CapsuleRuntimeError: the volume is still used by a
            container (Docker's message names it).
        """
        name = naming.volume_name(volume_uuid)
        with self._errors('remove volume %s' % name):
            try:
                self._api.remove_volume(name)
                LOG.info('Removed volume %s', name)
            except docker_errors.NotFound:
                pass

    def list_volumes(self):
        """{volume uuid: labels} of every engine volume on this Docker."""
        with self._errors('list volumes'):
            answer = self._api.volumes(
                filters={'label': [self._owner, spec.LABEL_VOLUME]})
        result = {}
        for volume in (answer or {}).get('Volumes') or ():
            labels = volume.get('Labels') or {}
            result[labels[spec.LABEL_VOLUME]] = labels
        return result

    def _mount_source(self, capsule, mount):
        """The Docker volume for `mount`, created from capsule.volumes."""
        for vol in capsule.volumes:
            if vol.uuid == mount.volume_uuid:
                return self.ensure_volume(vol, capsule.uuid)
        if not self.volume_exists(mount.volume_uuid):
            raise spec.CapsuleRuntimeError(
                'volume %s mounted at %s is missing' % (mount.volume_uuid,
                                                        mount.path))
        return naming.volume_name(mount.volume_uuid)

"""The one log reader of the Docker driver (a mixin of ``DockerDriver``).

``container_logs`` serves the API's logs call (bytes, bounded);
``logs_tail`` the reconciler's reasons (the last lines of a failed init
container, as text). Both read through ``_read_logs``: Docker's log stream
of the one container of a capsule with the given label, never held whole
in memory.
"""

import contextlib

from docker import errors as docker_errors

from heat_capsule.engine.runtime import spec


def read_bounded(chunks, max_bytes):
    """(the last `max_bytes` bytes of `chunks`, how many were dropped);
    `max_bytes` None keeps everything."""
    kept = bytearray()
    dropped = 0
    for chunk in chunks:
        kept += chunk
        if max_bytes is not None and len(kept) > 2 * max_bytes:
            excess = len(kept) - max_bytes
            del kept[:excess]
            dropped += excess
    if max_bytes is not None and len(kept) > max_bytes:
        excess = len(kept) - max_bytes
        del kept[:excess]
        dropped += excess
    return bytes(kept), dropped


class LogsMixin:
    """Needs the driver's ``_errors``, ``_list_containers`` and ``_api``."""

    def container_logs(self, capsule_uuid, container_uuid, stdout=True,
                       stderr=True, timestamps=False, tail='all',
                       since=None, max_bytes=None):
        """The logs of one init or app container of a capsule, as bytes.

        What ``docker logs`` shows: stdout and/or stderr (a container with
        a TTY has only one stream, which Docker reports as stdout), with
        Docker's RFC 3339 timestamps if asked, the last `tail` lines
        ('all' or an int >= 0), only what was written after `since`
        (seconds since the epoch, int or float; None or < 1: everything).
        An exited container keeps its logs until it is removed; the engine
        removes a capsule's containers only when the capsule is deleted.

        :param max_bytes: keep only the newest this many bytes (None: all);
            the logs are streamed, never held whole in memory.
        :returns: (data, dropped): the log bytes and how many older bytes
            were left out for `max_bytes`; None when Docker has no such
            container (not created yet, or removed).
        """
        return self._read_logs(
            capsule_uuid, '%s=%s' % (spec.LABEL_CONTAINER, container_uuid),
            'read the logs of container %s of capsule %s'
            % (container_uuid, capsule_uuid),
            stdout=stdout, stderr=stderr, timestamps=timestamps, tail=tail,
            since=since, max_bytes=max_bytes)

    def logs_tail(self, capsule_uuid, container_uuid, lines):
        """The last `lines` lines (stdout and stderr) of one container, as
        text.

        `container_uuid` None or 'sandbox' means the sandbox.  '' when the
        container does not exist.
        """
        if container_uuid in (None, spec.ROLE_SANDBOX):
            wanted = '%s=%s' % (spec.LABEL_ROLE, spec.ROLE_SANDBOX)
        else:
            wanted = '%s=%s' % (spec.LABEL_CONTAINER, container_uuid)
        found = self._read_logs(
            capsule_uuid, wanted,
            'read the logs of a container of capsule %s' % capsule_uuid,
            tail=int(lines))
        return '' if found is None else found[0].decode('utf-8', 'replace')

    def _read_logs(self, capsule_uuid, wanted, doing, stdout=True,
                   stderr=True, timestamps=False, tail='all', since=None,
                   max_bytes=None):
        """(data, dropped) of the capsule's container labelled `wanted`
        (``label=value``), or None when Docker has none."""
        if since is not None and since < 1:
            since = None
        with self._errors(doing):
            entries = self._list_containers(
                '%s=%s' % (spec.LABEL_CAPSULE, capsule_uuid), wanted)
            if not entries:
                return None
            try:
                stream = self._api.logs(
                    entries[0]['Id'], stdout=stdout, stderr=stderr,
                    stream=True, follow=False, timestamps=timestamps,
                    tail=tail, since=since)
            except docker_errors.NotFound:
                return None
            try:
                return read_bounded(stream, max_bytes)
            finally:
                with contextlib.suppress(Exception):
                    stream.close()

"""Claims on fixed host ports (ports[].hostPort), in the engine's database.

A claim is a ``host_ports`` row: made in the capsule's create transaction,
gone with the capsule's row.  The unique (port, protocol) key is what makes
claims exclusive: under concurrent creates on PostgreSQL the second insert
fails at commit (IntegrityError), and :func:`holder` then names the winner;
sqlite's writers are serialised by the database API anyway.
"""

import sqlalchemy as sa

from heat_capsule.engine.db import models


class HostPortInUse(Exception):
    """`port`/`protocol` is held by capsule `capsule_uuid` (of
    `project_id`); both None when the holder could not be read."""

    def __init__(self, port, protocol, capsule_uuid=None, project_id=None):
        super().__init__('%s/%s' % (port, protocol))
        self.port = port
        self.protocol = protocol
        self.capsule_uuid = capsule_uuid
        self.project_id = project_id


def wanted(capsule):
    """The (port, protocol) pairs a capsule record asks for, sorted."""
    return sorted({(int(port['hostPort']),
                    (port.get('protocol') or 'TCP').lower())
                   for container in capsule.containers
                   for port in container.ports or ()
                   if port.get('hostPort')})


def holder(session, port, protocol):
    """(capsule uuid, project id) holding the port, or (None, None)."""
    row = session.execute(
        sa.select(models.Capsule.uuid, models.Capsule.project_id)
        .join(models.HostPort,
              models.HostPort.capsule_id == models.Capsule.id)
        .where(models.HostPort.port == port,
               models.HostPort.protocol == protocol)).first()
    return (row[0], row[1]) if row else (None, None)


def claim(session, capsule):
    """Claim the capsule's host ports in `session` (capsule already added).

    :raises HostPortInUse: one is held by another capsule.
    """
    pairs = wanted(capsule)
    if not pairs:
        return
    session.flush()   # the capsule's id
    for port, protocol in pairs:
        capsule_uuid, project_id = holder(session, port, protocol)
        if capsule_uuid is not None:
            raise HostPortInUse(port, protocol, capsule_uuid, project_id)
        session.add(models.HostPort(capsule_id=capsule.id, port=port,
                                    protocol=protocol))
    session.flush()


def first_held(session_factory, capsule):
    """After an IntegrityError: the first of the capsule's ports that some
    other capsule holds, as HostPortInUse (holder unknown if none now)."""
    pairs = wanted(capsule)
    with session_factory() as session:
        for port, protocol in pairs:
            capsule_uuid, project_id = holder(session, port, protocol)
            if capsule_uuid is not None:
                return HostPortInUse(port, protocol, capsule_uuid,
                                     project_id)
    port, protocol = pairs[0] if pairs else (None, None)
    return HostPortInUse(port, protocol)

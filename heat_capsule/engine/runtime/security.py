"""Least privilege for capsule containers: capabilities, no-new-privileges.

The set
    Docker gives every container 14 capabilities unless told otherwise
    (``DOCKER_DEFAULT``).  The engine instead drops them all
    (``CapDrop: [ALL]``) and adds back ``[isolation] capabilities`` to init
    and app containers (``CapAdd``), which defaults to ``DEFAULT`` below:
    Docker's set minus

    * ``NET_RAW``: raw and packet sockets, i.e. crafting any packet (ARP or
      IP spoofing) on the capsule's network.  busybox's ``ping`` needs it
      ("permission denied"); a ``ping`` that uses ICMP datagram sockets
      does not (Docker opens ``net.ipv4.ping_group_range`` to everyone);
    * ``MKNOD``: creating device nodes;
    * ``AUDIT_WRITE``: writing to the host kernel's audit log;
    * ``SETFCAP``: setting file capabilities, which under no-new-privileges
      can grant nothing anyway.

    Compared with Kubernetes' Pod Security Standards: *baseline* allows
    Docker's set minus NET_RAW (so this default is stricter than baseline
    by MKNOD, AUDIT_WRITE and SETFCAP); *restricted* drops ALL and allows
    only NET_BIND_SERVICE back, and also requires a non-root user, which
    the engine cannot impose on existing images.  ``[isolation]
    capabilities = NET_BIND_SERVICE`` gives restricted's capability set;
    images that switch users (``su``, ``gosu``, most database images) then
    fail without SETUID/SETGID/CHOWN.  The option only takes names from
    Docker's default set: it can remove capabilities, never add one Docker
    would not grant.  The sandbox, which only waits, keeps none.

    Every container also runs with ``no-new-privileges`` (``[isolation]
    no_new_privileges``, default true: Kubernetes' ``allowPrivilegeEscalation:
    false``, required by restricted): setuid binaries and file capabilities
    no longer raise privileges.  Docker's default seccomp and AppArmor
    profiles stay in force (the driver sets no ``seccomp``/``apparmor``
    option).

Nothing in a capsule template reaches these settings: the schema has no
field for capabilities, privileged mode or security options, and the driver
takes them from here only.
"""

from heat_capsule.engine.runtime import spec

# Docker's default capability set (moby oci/caps/defaults.go, 20.10+).
DOCKER_DEFAULT = ('AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID',
                  'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'NET_RAW', 'SETFCAP',
                  'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT')
DROPPED_BY_DEFAULT = ('AUDIT_WRITE', 'MKNOD', 'NET_RAW', 'SETFCAP')
DEFAULT = tuple(c for c in DOCKER_DEFAULT if c not in DROPPED_BY_DEFAULT)
NO_NEW_PRIVILEGES = 'no-new-privileges:true'


def normalise(names):
    """Capability names as Docker spells them (upper case, no CAP_).

    :raises ValueError: a name outside Docker's default set.
    """
    result = []
    for name in names:
        cap = name.strip().upper()
        cap = cap[4:] if cap.startswith('CAP_') else cap
        if cap not in DOCKER_DEFAULT:
            raise ValueError('capability %s is not one Docker grants by '
                             'default (%s)' % (name,
                                               ', '.join(DOCKER_DEFAULT)))
        if cap not in result:
            result.append(cap)
    return sorted(result)


class Profile:
    """The security settings of an engine's containers.

    :param capabilities: what init and app containers keep (names from
        DOCKER_DEFAULT, with or without ``CAP_``).
    :param no_new_privileges: set Docker's ``no-new-privileges``.
    """

    def __init__(self, capabilities=DEFAULT, no_new_privileges=True):
        self.capabilities = normalise(capabilities)
        self.no_new_privileges = no_new_privileges

    def host_config(self, role):
        """Keyword arguments of docker's ``create_host_config`` for a
        container of `role` (spec.ROLE_SANDBOX, ROLE_INIT or ROLE_APP)."""
        kept = [] if role == spec.ROLE_SANDBOX else self.capabilities
        options = {'cap_drop': ['ALL'], 'cap_add': list(kept) or None}
        if self.no_new_privileges:
            options['security_opt'] = [NO_NEW_PRIVILEGES]
        return options


def from_conf(conf):
    """The Profile of ``[isolation]``."""
    return Profile(conf.isolation.capabilities,
                   conf.isolation.no_new_privileges)

"""Every bound of heat_capsule.bounds: accepted at the edge, refused past it.

One table for both validations: the engine's (``POST /v1/capsules``,
tests/unit/test_validation.py) and OS::Zun::Capsule's (``stack create``,
tests/unit/heat/test_capsule_bounds.py). Each row is (id, kind, edge value,
value just past the edge, fragment of the refusal). ``kind`` says which
field the value goes into; each side maps it onto its own names:

=================  ==========================================================
kind               field (value)
=================  ==========================================================
memory             resources.requests.memory / memory (MiB)
cpu                resources.requests.cpu / cpu
port               ports[0].containerPort / ports[0].container_port
image              image
mount_path         volumeMounts[0].mountPath / volume_mounts[0].mount_path
mount_pair         the paths of volumeMounts[0] and [1] (a pair); the
                   second is the one refused
read_only_nesting  ((path, readOnly), (path, readOnly)) for mounts 0 and 1;
                   the second is the one refused
workdir            workDir / workdir
arg                args[0]
env                env / environment: a {name: value} dict of one entry
exec_total         args: a list (command is not set)
volume_id_pair     the volume ids of volumes 0 and 1; the second is refused
=================  ==========================================================
"""

from heat_capsule import bounds

ARG = bounds.ARG_MAX_BYTES          # 131071
PATH = bounds.PATH_MAX_BYTES        # 2048
NAME = bounds.PATH_COMPONENT_MAX_BYTES
ID_A = '5b7ae2a9-0b3a-4b7e-9a0c-6e2f0e6f1c11'
ID_B = '0d1b6c2e-3f4a-4b5c-8d6e-7f8091a2b3c4'


def _long_path(size):
    """An absolute path of exactly `size` bytes, components of 200."""
    path = ''
    while len(path) < size:
        path += '/' + 'p' * min(200, size - len(path) - 1)
    return path


# Eight arguments of ARG bytes take 8 * (ARG + 1) = 1 MiB with their NULs.
_FULL = ['a' * ARG] * 8

TABLE = [
    ('memory-min', 'memory', bounds.MEMORY_MIN, bounds.MEMORY_MIN - 1, '6'),
    ('memory-max', 'memory', bounds.MEMORY_MAX, bounds.MEMORY_MAX + 1,
     '8192'),
    ('cpu-min', 'cpu', bounds.CPU_MIN, 0.09, '0.1'),
    ('cpu-max', 'cpu', bounds.CPU_MAX, 16.01, '16'),
    ('port-min', 'port', bounds.PORT_MIN, 0, '1'),
    ('port-max', 'port', bounds.PORT_MAX, 65536, '65535'),
    ('image-length', 'image', 'a' * 255, 'a' * 256, '255'),
    ('image-short', 'image', 'ab', 'a', '2'),
    ('image-lowercase', 'image', 'busybox', 'Busybox', 'image reference'),
    ('image-registry-case', 'image', 'Registry.example.com/busybox',
     'Registry/busybox', 'image reference'),
    ('image-separator', 'image', 'bu__sybox', 'bu___sybox',
     'image reference'),
    ('image-tag', 'image', 'busybox:' + 't' * 128, 'busybox:' + 't' * 129,
     'image reference'),
    ('image-tag-empty', 'image', 'busybox:1', 'busybox:', 'image reference'),
    ('image-digest', 'image', 'busybox@sha256:' + 'a' * 64,
     'busybox@sha256:' + 'a' * 63, 'image reference'),
    ('mount-root', 'mount_path', '/a', '/', 'not / itself'),
    ('mount-root-dot', 'mount_path', '/a/.', '/.', 'not / itself'),
    ('mount-root-dotdot', 'mount_path', '/a/../b', '/a/..',
     'not / itself'),
    ('mount-root-slashes', 'mount_path', '//a', '//', 'not / itself'),
    ('mount-root-backslash', 'mount_path', '/a\\', '/\\', 'not / itself'),
    ('mount-relative', 'mount_path', '/data', 'data', 'absolute'),
    ('mount-proc', 'mount_path', '/procs', '/proc', '/proc'),
    ('mount-in-proc', 'mount_path', '/x/proc/y', '/proc/y', '/proc'),
    ('mount-proc-spelled', 'mount_path', '/x/../procs', '/x/../proc',
     '/proc'),
    ('mount-sys', 'mount_path', '/system', '/sys/kernel/x', '/sys'),
    ('mount-dev', 'mount_path', '/dev/x', '/dev', '/dev'),
    ('mount-dev-pts', 'mount_path', '/dev/pts', '/dev/pts/0', '/dev/pts'),
    ('mount-dev-mqueue', 'mount_path', '/dev/mqueue', '/dev/mqueue/q',
     '/dev/mqueue'),
    ('mount-etc-hosts', 'mount_path', '/etc/hosts.d', '/etc/hosts',
     '/etc/hosts'),
    ('mount-below-hosts', 'mount_path', '/etc/x', '/etc/hosts/x',
     '/etc/hosts'),
    ('mount-dev-null', 'mount_path', '/dev/nul', '/dev/null', '/dev/null'),
    ('mount-dockerenv', 'mount_path', '/.dockerenv.d', '/.dockerenv',
     '/.dockerenv'),
    ('mount-resolv', 'mount_path', '/etc/resolv', '/etc/resolv.conf',
     '/etc/resolv.conf'),
    ('mount-component', 'mount_path', '/x/' + 'c' * NAME,
     '/x/' + 'c' * (NAME + 1), '255 bytes'),
    ('mount-component-bytes', 'mount_path', '/x/' + 'é' * (NAME // 2),
     '/x/' + 'é' * (NAME // 2 + 1), '255 bytes'),
    ('mount-length', 'mount_path', _long_path(PATH), _long_path(PATH + 1),
     '2048 bytes'),
    ('mount-length-normalised', 'mount_path',
     _long_path(PATH) + '/./', _long_path(PATH + 1) + '/./', '2048 bytes'),
    ('mount-duplicate-dot', 'mount_pair', ('/data', '/data2'),
     ('/data', '/data/.'), 'same path'),
    ('mount-duplicate-slash', 'mount_pair', ('/data', '/data/x/'),
     ('/data', '//data/'), 'same path'),
    ('mount-duplicate-dotdot', 'mount_pair', ('/data', '/x/../datum'),
     ('/data', '/x/../data'), 'same path'),
    ('mount-inside-read-only', 'read_only_nesting',
     (('/data', False), ('/data/x', False)),
     (('/data', True), ('/data/x', False)), 'read-only'),
    ('mount-beside-read-only', 'read_only_nesting',
     (('/data', True), ('/data2/x', False)),
     (('/data', True), ('/data/../data/x', True)), 'read-only'),
    ('workdir-relative', 'workdir', '/app', 'app', 'absolute'),
    ('workdir-proc', 'workdir', '/proc', '/proc/x', '/proc'),
    ('workdir-sys', 'workdir', '/sys', '/sys/x', '/sys'),
    ('workdir-dev-pts', 'workdir', '/dev/pts', '/dev/pts/x', '/dev/pts'),
    ('workdir-etc-hosts', 'workdir', '/etc', '/etc/hosts', '/etc/hosts'),
    ('workdir-dev-null', 'workdir', '/dev', '/dev/null/x', '/dev/null'),
    ('workdir-component', 'workdir', '/' + 'w' * NAME, '/' + 'w' * (NAME + 1),
     '255 bytes'),
    ('workdir-length', 'workdir', _long_path(PATH), _long_path(PATH + 1),
     '2048 bytes'),
    ('arg-size', 'arg', 'a' * ARG, 'a' * (ARG + 1), '131071 bytes'),
    ('arg-size-bytes', 'arg', 'é' * (ARG // 2) + 'a', 'é' * (ARG // 2 + 1),
     '131071 bytes'),
    ('env-entry-size', 'env', {'A': 'v' * (ARG - 2)},
     {'A': 'v' * (ARG - 1)}, '131071 bytes'),
    ('env-name-size', 'env', {'N' * (ARG - 1): ''}, {'N' * ARG: ''},
     '131071 bytes'),
    ('env-name-equals', 'env', {'A-B': 'x'}, {'A=B': 'x'}, "'='"),
    ('exec-total', 'exec_total', _FULL, _FULL + [''], '1048576'),
    ('volume-id-twice', 'volume_id_pair', (ID_A, ID_B), (ID_A, ID_A),
     'already used by'),
]

IDS = [row[0] for row in TABLE]


def mounts(kind, value):
    """[(path, read_only)] of the container's mounts for a mount row; the
    last one is the mount a refusal names."""
    if kind == 'mount_path':
        return [(value, False)]
    if kind == 'mount_pair':
        return [(value[0], False), (value[1], False)]
    return list(value)     # read_only_nesting


# Engine only: the Docker host's CPU count (a template, and Heat, cannot
# know it). (host CPUs, edge, past the edge).
HOST_CPU_ROWS = [(2, 2, 2.01), (4, 4.0, 4.5), (1, 1, 1.1)]

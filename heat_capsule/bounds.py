"""What Docker will run: the bounds a capsule template must stay within.

Shared by the engine's validation (``heat_capsule.engine.validation``) and
by ``OS::Zun::Capsule`` (``heat_capsule.heat.capsule``), so a template is
refused the same way at ``POST /v1/capsules`` and at ``stack create``. Pure
standard library: heat-engine imports it (no web framework, database or
docker SDK here).

Each bound names its source. Found with Docker 20.10.24 (runc 1.1.5,
cgroup v1) on Debian 12: the daemon's and runc's own refusals, tried for
real (see tests/functional/test_docker_parity.py), and Zun 18's defaults
where Docker has no limit of its own.

The functions return a message (a sentence fragment that follows the
field's name) or None; callers attach the field path. Paths are compared
after :func:`clean_path`, the normalisation Docker applies (Go's
``path.Clean``).
"""

import re

# --- resources ---------------------------------------------------------------

# MiB. Docker: "Minimum memory limit allowed is 6MB" (daemon, linuxMinMemory
# = 6 MiB). The maximum is Zun's default (Docker has none).
MEMORY_MIN = 6
MEMORY_MAX = 8192
# CPUs. Zun's defaults; Docker's own range is 0.01 to the host's CPU count
# ("Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs
# available"): the engine also checks the host's count, which a template
# (and Heat) cannot know.
CPU_MIN = 0.1
CPU_MAX = 16.0

PORT_MIN = 1
PORT_MAX = 65535

# --- images ------------------------------------------------------------------

IMAGE_MIN_LENGTH = 2
IMAGE_MAX_LENGTH = 255   # Zun; Docker refuses a repository name past 255

# Docker's reference grammar (distribution/reference, as vendored by Docker
# 20.10): [domain/]path[:tag][@digest]. The first component is a domain only
# with a '.' or ':' in it, or when it is 'localhost'; every path component is
# lowercase ("invalid reference format: repository name must be lowercase").
_ALNUM = r'[a-z0-9]+'
_PATH_COMPONENT = _ALNUM + r'(?:(?:[._]|__|-+)' + _ALNUM + r')*'
_DOMAIN_COMPONENT = r'(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
_DOMAIN = (r'(?:localhost(?::[0-9]+)?'
           + r'|' + _DOMAIN_COMPONENT + r'(?:\.' + _DOMAIN_COMPONENT
           + r')+(?::[0-9]+)?'
           + r'|' + _DOMAIN_COMPONENT + r':[0-9]+)')
_TAG = r'[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}'
_DIGEST = r'(?:sha256:[0-9a-fA-F]{64}|sha384:[0-9a-fA-F]{96}' \
          r'|sha512:[0-9a-fA-F]{128})'
IMAGE_PATTERN = (r'^(?:' + _DOMAIN + r'/)?' + _PATH_COMPONENT
                 + r'(?:/' + _PATH_COMPONENT + r')*'
                 + r'(?::' + _TAG + r')?(?:@' + _DIGEST + r')?$(?!\n)')
IMAGE_HINT = ("use an image reference such as 'nginx:1.27' or "
              "'example.com:5000/app' (lowercase, no spaces)")

# --- paths -------------------------------------------------------------------

# Bytes (UTF-8). NAME_MAX of Linux for one path component ("file name too
# long"); for a whole path, half of PATH_MAX: Docker resolves a container
# path below its data root on the host (/var/lib/docker/overlay2/<id>/
# merged/...) and the whole must stay under 4096 bytes (a 3903-byte mount
# path already fails with the default data root).
PATH_COMPONENT_MAX_BYTES = 255
PATH_MAX_BYTES = 2048
# Characters of a path as written (before normalisation): Linux's PATH_MAX.
PATH_SPELLING_MAX = 4096

# Kernel filesystems runc mounts itself: a volume at or below /proc is
# refused ("not of type proc", "inside /proc"); below /sys the read-only
# sysfs has no room for a mount point. Refused as mount points, at or below;
# as a working directory, below (runc cannot create it).
KERNEL_TREES = ('/proc', '/sys')
# Docker's devpts and mqueue mounts: nothing can be created inside them.
DEVICE_TREES = ('/dev/pts', '/dev/mqueue')
# Files the runtime puts in every container (Docker's /etc files and
# .dockerenv, runc's device nodes): a volume (a directory) cannot be mounted
# onto a file ("not a directory"), a working directory cannot be one, and
# nothing can be below them.
RUNTIME_FILES = (
    '/.dockerenv', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf',
    '/dev/console', '/dev/full', '/dev/null', '/dev/ptmx', '/dev/random',
    '/dev/tty', '/dev/urandom', '/dev/zero',
)
# A volume at /dev hides the device nodes runc needs ("stat /dev/null").
RUNTIME_DIRS = ('/dev',)

# --- command, args, environment ----------------------------------------------

# Bytes. Linux's MAX_ARG_STRLEN (32 pages, the final NUL included): a longer
# argument or environment entry ("NAME=value") fails the exec with
# "argument list too long". The total of all of them is bounded well below
# ARG_MAX (a quarter of the 8 MiB stack limit: 2 MiB, shared with the
# image's own environment and the pointers).
ARG_MAX_BYTES = 131071
EXEC_TOTAL_MAX_BYTES = 1048576


def _size(text):
    return len(text.encode('utf-8', 'surrogatepass'))


def clean_path(path):
    """The shortest equivalent of a slash-separated path (Go's path.Clean).

    '//data/./x/..//' -> '/data'; '/..' -> '/'; '' -> '.'. Unlike
    os.path.normpath, a leading '//' becomes '/', as in Docker.
    """
    rooted = path.startswith('/')
    parts = []
    for part in path.split('/'):
        if part in ('', '.'):
            continue
        if part == '..':
            if parts and parts[-1] != '..':
                parts.pop()
            elif not rooted:
                parts.append(part)
            continue
        parts.append(part)
    out = '/'.join(parts)
    if rooted:
        return '/' + out
    return out or '.'


def _within(path, tree):
    return path == tree or path.startswith(tree + '/')


def _below(path, tree):
    return path.startswith(tree.rstrip('/') + '/')


def _path_size_problem(path):
    if _size(path) > PATH_MAX_BYTES:
        return 'is longer than %d bytes once normalised' % PATH_MAX_BYTES
    for part in path.split('/'):
        if _size(part) > PATH_COMPONENT_MAX_BYTES:
            return ('has a component longer than %d bytes (the file name '
                    'limit)' % PATH_COMPONENT_MAX_BYTES)
    return None


def mount_path_problem(path):
    """Why Docker would refuse a volume mounted at ``path``, or None."""
    if not path.startswith('/'):
        return 'must be an absolute path such as /data'
    cleaned = clean_path(path)
    # Docker's check also reads a backslash as a separator.
    if cleaned == '/' or clean_path(path.replace('\\', '/')) == '/':
        return ('is / once normalised: use a directory such as /data '
                '(not / itself)')
    for tree in KERNEL_TREES:
        if _within(cleaned, tree):
            return ('is in %s, which the container runtime mounts itself'
                    % tree)
    for tree in DEVICE_TREES:
        if _below(cleaned, tree):
            return 'nothing can be mounted inside %s' % tree
    for name in RUNTIME_FILES:
        if _within(cleaned, name):
            return ('is in %s, a file the container runtime creates in '
                    'every container: mount the volume elsewhere' % name)
    if cleaned in RUNTIME_DIRS:
        return ('would hide the device nodes the container runtime needs '
                'in %s' % cleaned)
    return _path_size_problem(cleaned)


def workdir_problem(path):
    """Why Docker would refuse ``path`` as the working directory, or None.

    An empty or null workDir means the image's; not checked here.
    """
    if not path.startswith('/'):
        return 'must be an absolute path such as /app'
    cleaned = clean_path(path)
    for tree in KERNEL_TREES + DEVICE_TREES:
        if _below(cleaned, tree):
            return ('is inside %s, where the container runtime cannot '
                    'create a directory' % tree)
    for name in RUNTIME_FILES:
        if _within(cleaned, name):
            return ('is in %s, a file the container runtime creates in '
                    'every container, not a directory' % name)
    return _path_size_problem(cleaned)


def duplicate_paths(paths):
    """[(index, earlier index)] of paths equal to an earlier one once
    normalised (Docker: "Duplicate mount point")."""
    seen, out = {}, []
    for index, path in enumerate(paths):
        if not isinstance(path, str):
            continue
        key = clean_path(path)
        if key in seen:
            out.append((index, seen[key]))
        else:
            seen[key] = index
    return out


def inside_read_only(mounts):
    """[(index, read-only index)] of mounts below a read-only one.

    ``mounts``: [(path, read_only)] of one container. runc creates each
    mount point inside the mounts above it, which fails in a read-only one
    ("mkdir ...: read-only file system").
    """
    cleaned = [(clean_path(p) if isinstance(p, str) else None, bool(ro))
               for p, ro in mounts]
    out = []
    for index, (path, _ro) in enumerate(cleaned):
        for other, (parent, read_only) in enumerate(cleaned):
            if (read_only and path and parent and other != index
                    and _below(path, parent)):
                out.append((index, other))
                break
    return out


def argument_problem(text):
    """Why one command/args item cannot be passed to exec, or None."""
    if _size(text) > ARG_MAX_BYTES:
        return ('is longer than %d bytes, the kernel\'s limit for one '
                'argument' % ARG_MAX_BYTES)
    return None


def env_problem(name, value):
    """Why one environment variable cannot be set, or None."""
    if not name:
        return 'variable names must not be empty'
    if '=' in name:
        return "variable names must not contain '='"
    if _size(name) + 1 + _size(value) > ARG_MAX_BYTES:
        return ('NAME=value is longer than %d bytes, the kernel\'s limit '
                'for one environment entry' % ARG_MAX_BYTES)
    return None


def exec_size(arguments, env):
    """Bytes that command + args (``arguments``) and ``env`` take in exec."""
    total = sum(_size(a) + 1 for a in arguments)
    total += sum(_size(k) + _size(v) + 2 for k, v in env.items())
    return total


def exec_size_problem(arguments, env):
    """Why command + args and env together are too large, or None."""
    size = exec_size(arguments, env)
    if size > EXEC_TOTAL_MAX_BYTES:
        return ('command, args and env take %d bytes together; at most %d '
                'are allowed' % (size, EXEC_TOTAL_MAX_BYTES))
    return None


def cpu_problem(cpu, host_cpus):
    """Why Docker refuses ``cpu`` CPUs on a host with ``host_cpus``."""
    if host_cpus and cpu > host_cpus:
        return ('%s is more than the %d CPUs of the Docker host'
                % (_number(cpu), host_cpus))
    return None


def _number(value):
    return repr(int(value)) if float(value).is_integer() else repr(value)


IMAGE_RE = re.compile(IMAGE_PATTERN)


def image_problem(image):
    """Why Docker would refuse ``image`` as a reference, or None."""
    if not IMAGE_MIN_LENGTH <= len(image) <= IMAGE_MAX_LENGTH:
        return 'must be %d to %d characters long' % (IMAGE_MIN_LENGTH,
                                                     IMAGE_MAX_LENGTH)
    if not IMAGE_RE.match(image):
        return 'is not a valid image reference: ' + IMAGE_HINT
    return None

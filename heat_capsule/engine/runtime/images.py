"""Images the engine builds itself, without a registry and without host files.

The sandbox image
    A capsule's network and IPC namespaces are held by a "sandbox" container
    that does nothing but wait.  Its image holds one file, ``/pause``: a static
    ELF executable of a few dozen bytes, generated here, that loops on a
    blocking system call (``pause`` on x86_64, ``ppoll(NULL, 0, NULL, NULL)``
    on aarch64, which has no ``pause``).  It needs no libc, no registry and no
    file from the host.  As PID 1 with no signal handlers it ignores SIGTERM
    (the kernel drops it), so the driver gives the sandbox container
    StopSignal SIGKILL (``docker import`` cannot set STOPSIGNAL).

The busybox image
    Tests, demos and scripts need a small image with a shell, ``httpd`` and
    ``wget``; with no registry reachable it is made from a static busybox
    binary (Debian's ``busybox-static``).

Both are imported with the Docker API's image import (``docker import``), from
a tar built in memory.  ``heat-capsule-images`` builds both.
"""

import argparse
import io
import json
import struct
import subprocess
import sys
import tarfile

import docker
from docker import errors as docker_errors
from docker import utils as docker_utils
from oslo_log import log as logging
import requests

from heat_capsule.engine.runtime import spec
from heat_capsule import textutils

LOG = logging.getLogger(__name__)

DEFAULT_SANDBOX_IMAGE = 'heat-capsule/sandbox:1'
DEFAULT_BUSYBOX_IMAGE = 'busybox:latest'
DEFAULT_BUSYBOX_BINARY = '/bin/busybox'

LABEL_IMAGE = spec.LABEL_PREFIX + 'image'    # sandbox | busybox
LABEL_ARCH = spec.LABEL_PREFIX + 'image-arch'

# A fixed mtime makes the tar, hence the layer, identical on every build.
_MTIME = 0

# --- The /pause program ----------------------------------------------------

_EM_X86_64 = 62
_EM_AARCH64 = 183
_LOAD_ADDRESS = 0x400000
_ELF_HEADER_SIZE = 64
_PROGRAM_HEADER_SIZE = 56

# loop: mov eax, 34 (pause); syscall; jmp loop
_PAUSE_X86_64 = bytes.fromhex('b822000000' '0f05' 'ebf7')

# loop: mov x0..x3, #0; mov x8, #73 (ppoll); svc #0; b loop
_PAUSE_AARCH64 = struct.pack(
    '<7I',
    0xd2800000,   # mov x0, #0    fds = NULL
    0xd2800001,   # mov x1, #0    nfds = 0
    0xd2800002,   # mov x2, #0    timeout = NULL (forever)
    0xd2800003,   # mov x3, #0    sigmask = NULL
    0xd2800928,   # mov x8, #73   __NR_ppoll
    0xd4000001,   # svc #0
    0x17fffffa,   # b -24         back to the first instruction
)

# Docker's "Architecture" (uname -m of the engine host) or Go's GOARCH name.
_PAUSE_PROGRAMS = {
    'x86_64': (_EM_X86_64, _PAUSE_X86_64),
    'amd64': (_EM_X86_64, _PAUSE_X86_64),
    'aarch64': (_EM_AARCH64, _PAUSE_AARCH64),
    'arm64': (_EM_AARCH64, _PAUSE_AARCH64),
}


class ImageBuildError(spec.CapsuleRuntimeError):
    """An image could not be built; str(e) says why."""


def pause_elf(architecture):
    """Return the bytes of a static ELF64 executable that blocks forever.

    One PT_LOAD segment maps the whole file (headers included) read+execute
    at 0x400000; the entry point is the code right after the headers.
    """
    try:
        machine, code = _PAUSE_PROGRAMS[architecture.lower()]
    except KeyError:
        raise ImageBuildError(
            'cannot build the sandbox image for architecture %r: only '
            'x86_64 and aarch64 are supported; set [runtime] sandbox_image to '
            'a pause image for this architecture that is already loaded'
            % architecture)
    code_offset = _ELF_HEADER_SIZE + _PROGRAM_HEADER_SIZE
    file_size = code_offset + len(code)
    ident = b'\x7fELF' + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, LE, SysV
    header = ident + struct.pack(
        '<HHIQQQIHHHHHH',
        2,                                  # e_type: ET_EXEC
        machine,                            # e_machine
        1,                                  # e_version
        _LOAD_ADDRESS + code_offset,        # e_entry
        _ELF_HEADER_SIZE,                   # e_phoff
        0,                                  # e_shoff: no sections
        0,                                  # e_flags
        _ELF_HEADER_SIZE,                   # e_ehsize
        _PROGRAM_HEADER_SIZE,               # e_phentsize
        1,                                  # e_phnum
        0, 0, 0)                            # e_shentsize, e_shnum, e_shstrndx
    program_header = struct.pack(
        '<IIQQQQQQ',
        1,                                  # p_type: PT_LOAD
        5,                                  # p_flags: R + X
        0,                                  # p_offset
        _LOAD_ADDRESS,                      # p_vaddr
        _LOAD_ADDRESS,                      # p_paddr
        file_size,                          # p_filesz
        file_size,                          # p_memsz
        0x1000)                             # p_align
    return header + program_header + code


# --- Tar and import helpers --------------------------------------------------

class _RootfsTar:
    """A root filesystem tar built in memory, every entry owned by root."""

    def __init__(self):
        self._buffer = io.BytesIO()
        self._tar = tarfile.open(fileobj=self._buffer, mode='w',
                                 format=tarfile.GNU_FORMAT)

    def _info(self, name, kind, mode):
        info = tarfile.TarInfo(name.lstrip('/'))
        info.type = kind
        info.mode = mode
        info.mtime = _MTIME
        info.uid = info.gid = 0
        info.uname = info.gname = 'root'
        return info

    def directory(self, name, mode=0o755):
        self._tar.addfile(self._info(name, tarfile.DIRTYPE, mode))

    def file(self, name, data, mode=0o644):
        info = self._info(name, tarfile.REGTYPE, mode)
        info.size = len(data)
        self._tar.addfile(info, io.BytesIO(data))

    def symlink(self, name, target):
        info = self._info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self._tar.addfile(info)

    def getvalue(self):
        self._tar.close()
        return self._buffer.getvalue()


def _import_image(client, tar_bytes, tag, changes):
    """Import a rootfs tar as image `tag`; return the new image id."""
    repository, image_tag = docker_utils.parse_repository_tag(tag)
    try:
        output = client.api.import_image_from_data(
            tar_bytes, repository=repository, tag=image_tag or 'latest',
            changes=changes)
    except docker_errors.APIError as e:
        raise ImageBuildError('Docker refused to import image %s: %s'
                              % (tag, e.explanation or e))
    image_id = None
    # The daemon answers with one or more JSON lines; the last one carries
    # the new image id as "status", or an "error".
    text = output if isinstance(output, str) else json.dumps(output)
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get('error'):
            raise ImageBuildError('Docker failed to import image %s: %s'
                                  % (tag, message['error']))
        image_id = message.get('status') or image_id
    return image_id


def _engine_architecture(client):
    return client.info().get('Architecture') or ''


def image_present(client, tag):
    """Whether the Docker engine holds image `tag`."""
    try:
        client.api.inspect_image(tag)
    except docker_errors.NotFound:
        return False
    return True


# --- The sandbox image -------------------------------------------------------

def build_sandbox_image(client, tag=DEFAULT_SANDBOX_IMAGE):
    """Build the sandbox image `tag` for the Docker engine's architecture.

    :param client: a ``docker.DockerClient``.
    :returns: the image id.
    :raises ImageBuildError: unsupported architecture or import failure.
    """
    architecture = _engine_architecture(client)
    program = pause_elf(architecture)
    rootfs = _RootfsTar()
    rootfs.file('pause', program, mode=0o755)
    changes = [
        'CMD ["/pause"]',
        'LABEL %s=sandbox' % LABEL_IMAGE,
        'LABEL %s=%s' % (LABEL_ARCH, architecture),
    ]
    image_id = _import_image(client, rootfs.getvalue(), tag, changes)
    LOG.info('Built sandbox image %s (%s) for %s', tag, image_id,
             architecture)
    return image_id


def ensure_sandbox_image(client, tag, default_tag=DEFAULT_SANDBOX_IMAGE):
    """Make sure the sandbox image `tag` is present.

    The engine's own image (`tag` == `default_tag`) is built locally when
    missing; any other image is pulled.

    :returns: 'present', 'built' or 'pulled'.
    :raises ImageUnavailable: a non-default image is missing and the pull
        failed.
    :raises ImageBuildError: the default image could not be built.
    """
    if image_present(client, tag):
        return 'present'
    if tag == default_tag:
        build_sandbox_image(client, tag)
        return 'built'
    LOG.info('Sandbox image %s is missing, pulling it', tag)
    reason = pull(client, tag)
    if reason is not None:
        raise spec.ImageUnavailable(
            'sandbox image %s is not present and could not be pulled: %s '
            '(set [runtime] sandbox_image to %s to use the image the engine '
            'builds itself, or load %s with "docker load")'
            % (tag, reason, default_tag, tag))
    return 'pulled'


def pull(client, reference):
    """Pull `reference`; return None on success or Docker's short reason.

    The pull progress is streamed and drained so that an error the daemon
    reports in the middle of the stream is not missed.
    """
    repository, tag = docker_utils.parse_repository_tag(reference)
    if not tag and '@' not in reference:
        tag = 'latest'
    reason = None
    try:
        for message in client.api.pull(repository, tag=tag, stream=True,
                                       decode=True):
            if isinstance(message, dict) and message.get('error'):
                reason = message['error']
    except docker_errors.APIError as e:
        reason = e.explanation or str(e)
    if reason is None and not image_present(client, reference):
        reason = 'the pull finished but the image is not there'
    return textutils.shorten(reason, 300, one_line=True) if reason else None


# --- The busybox image -------------------------------------------------------

def _elf_is_static(data):
    """True when ELF `data` has no PT_INTERP, i.e. needs no dynamic loader.

    A static-pie binary (ET_DYN without an interpreter) counts as static.
    """
    if data[:4] != b'\x7fELF':
        raise ImageBuildError('not an ELF executable')
    is_64 = data[4] == 2
    endian = '<' if data[5] == 1 else '>'
    if is_64:
        phoff, = struct.unpack_from(endian + 'Q', data, 32)
        phentsize, phnum = struct.unpack_from(endian + 'HH', data, 54)
    else:
        phoff, = struct.unpack_from(endian + 'I', data, 28)
        phentsize, phnum = struct.unpack_from(endian + 'HH', data, 42)
    for index in range(phnum):
        p_type, = struct.unpack_from(endian + 'I', data,
                                     phoff + index * phentsize)
        if p_type == 3:   # PT_INTERP
            return False
    return True


def _busybox_applets(busybox):
    try:
        result = subprocess.run([busybox, '--list'], check=True,
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        raise ImageBuildError('cannot list the applets of %s: %s'
                              % (busybox, e))
    applets = sorted({name.strip() for name in result.stdout.split()
                      if name.strip() and '/' not in name})
    if 'sh' not in applets:
        raise ImageBuildError('%s has no "sh" applet' % busybox)
    return applets


def build_busybox_image(client, tag=DEFAULT_BUSYBOX_IMAGE,
                        busybox=DEFAULT_BUSYBOX_BINARY):
    """Build a small busybox image `tag` from the static binary `busybox`.

    The rootfs has /bin/busybox with one symlink per applet in /bin
    (/sbin, /usr/bin and /usr/sbin link to /bin), /etc/passwd and
    /etc/group with root, /root, /tmp (1777), an empty /www for httpd, and
    empty /proc, /sys and /dev.  CMD is ["sh"].

    :returns: the image id.
    :raises ImageBuildError: the binary is missing or not static.
    """
    try:
        with open(busybox, 'rb') as f:
            binary = f.read()
    except OSError as e:
        raise ImageBuildError(
            'cannot read %s: %s (install Debian\'s busybox-static)'
            % (busybox, e.strerror or e))
    try:
        static = _elf_is_static(binary)
    except (ImageBuildError, struct.error):
        raise ImageBuildError('%s is not an ELF executable' % busybox)
    if not static:
        raise ImageBuildError(
            '%s is dynamically linked: an image holding only it would not '
            'run; use a static busybox (Debian\'s busybox-static)' % busybox)
    applets = _busybox_applets(busybox)

    rootfs = _RootfsTar()
    for directory in ('bin', 'etc', 'usr', 'www', 'proc', 'sys', 'dev',
                      'var'):
        rootfs.directory(directory)
    rootfs.directory('root', mode=0o700)
    rootfs.directory('tmp', mode=0o1777)
    rootfs.file('bin/busybox', binary, mode=0o755)
    for applet in applets:
        if applet != 'busybox':
            rootfs.symlink('bin/' + applet, 'busybox')
    rootfs.symlink('sbin', 'bin')
    rootfs.symlink('usr/bin', '../bin')
    rootfs.symlink('usr/sbin', '../bin')
    rootfs.file('etc/passwd', b'root:x:0:0:root:/root:/bin/sh\n'
                              b'nobody:x:65534:65534:nobody:/:/bin/false\n')
    rootfs.file('etc/group', b'root:x:0:\nnogroup:x:65534:\n')
    changes = [
        'CMD ["sh"]',
        'ENV PATH=/bin',
        'LABEL %s=busybox' % LABEL_IMAGE,
    ]
    image_id = _import_image(client, rootfs.getvalue(), tag, changes)
    LOG.info('Built busybox image %s (%s) from %s', tag, image_id, busybox)
    return image_id


# --- heat-capsule-images -----------------------------------------------------

def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='heat-capsule-images',
        description='Build the local images heat-capsule needs, with no '
                    'registry: the busybox image used by tests and demos, '
                    'and the engine\'s sandbox image.')
    parser.add_argument('--docker-url',
                        help='Docker engine URL (default: DOCKER_HOST or '
                             'unix:///var/run/docker.sock).')
    parser.add_argument('--force', action='store_true',
                        help='Rebuild the busybox image even when present.')
    parser.add_argument('--busybox-tag', default=DEFAULT_BUSYBOX_IMAGE,
                        help='Tag of the busybox image (default: '
                             '%(default)s).')
    parser.add_argument('--busybox', default=DEFAULT_BUSYBOX_BINARY,
                        help='Static busybox binary (default: %(default)s).')
    parser.add_argument('--sandbox-tag', default=DEFAULT_SANDBOX_IMAGE,
                        help='Tag of the sandbox image (default: '
                             '%(default)s).')
    return parser.parse_args(argv)


def main(argv=None):
    """Console script heat-capsule-images."""
    args = _parse_args(argv)
    try:
        if args.docker_url:
            client = docker.DockerClient(base_url=args.docker_url,
                                         version='auto')
        else:
            client = docker.from_env(version='auto')
        if args.force or not image_present(client, args.busybox_tag):
            image_id = build_busybox_image(client, args.busybox_tag,
                                           args.busybox)
            print('built %s (%s) from %s'
                  % (args.busybox_tag, image_id, args.busybox))
        else:
            print('%s is present' % args.busybox_tag)
        if image_present(client, args.sandbox_tag):
            print('%s is present' % args.sandbox_tag)
        else:
            image_id = build_sandbox_image(client, args.sandbox_tag)
            print('built %s (%s)' % (args.sandbox_tag, image_id))
    except spec.CapsuleRuntimeError as e:
        print('heat-capsule-images: %s' % e, file=sys.stderr)
        return 1
    except docker_errors.DockerException as e:
        print('heat-capsule-images: Docker is not usable: %s' % e,
              file=sys.stderr)
        return 1
    except requests.exceptions.RequestException as e:
        print('heat-capsule-images: cannot talk to Docker: %s' % e,
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

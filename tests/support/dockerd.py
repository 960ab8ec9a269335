"""A private Docker daemon for tests that must stop or restart Docker.

The system dockerd is shared (the all-in-one's engine, other test runs), so
a test that restarts Docker gets a daemon of its own::

    daemon = PrivateDockerd().start()
    try:
        client = daemon.client()
        ...
        daemon.restart()
    finally:
        daemon.cleanup()

Everything it makes lives in one temporary directory (``/tmp/hcd-*``):
the API socket, ``--data-root``, ``--exec-root``, the pid file, a
``daemon.json`` of its own (the host's ``/etc/docker/daemon.json`` is not
read) and the logs. It runs its own containerd (socket, root and state in
that directory, containerd namespace ``hcd-<random>``), so it neither uses
nor notices a system containerd.

Networking: dockerd (and so its bridges, docker-proxy processes and
iptables rules) runs in a network namespace of its own, kept in that
directory (``unshare --net=<file>``, joined with ``nsenter --net``), like a
second host. Nothing it does can touch the host's interfaces: dockerd
deletes the host's ``docker0`` at start with ``--bridge=none``, and again
on a restart with ``--default-address-pool``, which a daemon sharing the
host's namespace cannot avoid. Its Docker networks cannot collide with the
system daemon's either. Ports it publishes on 127.0.0.1 are on that
namespace's loopback: :meth:`PrivateDockerd.fetch` reads them from there.
iptables stays off (``--iptables=false`` ...): the userland proxy serves
published ports without NAT rules.

:meth:`cleanup` removes its containers and networks, stops it, releases
the network namespace (and with it every interface the daemon made),
unmounts whatever is still mounted under its directory and deletes the
directory.

A machine without ``dockerd`` skips the tests that need this, unless
``HEAT_CAPSULE_E2E`` is set (CI), where that is a failure.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import docker
import psutil
import pytest

BINARIES = ('dockerd', 'containerd', 'docker-proxy', 'unshare', 'nsenter')
API_VERSION = '1.40'    # Docker 19.03; spoken by every later daemon


def require_binaries():
    """Skip (no Docker here) or fail (HEAT_CAPSULE_E2E) when binaries lack."""
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if not missing:
        return
    message = ('%s not found: a private Docker daemon cannot run'
               % ', '.join(missing))
    if 'dockerd' in missing and not os.environ.get('HEAT_CAPSULE_E2E'):
        pytest.skip(message)
    pytest.fail(message)


def _tail(path, lines=40):
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode('utf-8', 'replace')
    except OSError as e:
        return '(no log: %s)' % e
    return '\n'.join(text.splitlines()[-lines:])


def _mounts_under(directory):
    """Mount points at or below `directory`, deepest first."""
    found = []
    with open('/proc/self/mountinfo') as handle:
        for line in handle:
            point = line.split()[4].encode().decode('unicode_escape')
            if point == directory or point.startswith(directory + '/'):
                found.append(point)
    return sorted(set(found), key=len, reverse=True)


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return handle.read().split(b'\0')
    except OSError:
        return []


class PrivateDockerd:
    """dockerd + containerd of its own, in a temporary directory.

    :param shutdown_timeout: dockerd's ``--shutdown-timeout``.
    :param start_timeout: seconds :meth:`start` waits for ``/_ping``.
    :param stop_timeout: seconds :meth:`stop` waits after SIGTERM before
        SIGKILL (dockerd gives each container its stop timeout, 10 s by
        default, to exit on its stop signal).
    """

    def __init__(self, shutdown_timeout=15, start_timeout=60,
                 stop_timeout=60):
        require_binaries()
        self.dir = tempfile.mkdtemp(prefix='hcd-')
        self.socket = os.path.join(self.dir, 'docker.sock')
        self.url = 'unix://' + self.socket
        self.data_root = os.path.join(self.dir, 'data')
        self.exec_root = os.path.join(self.dir, 'exec')
        self.pidfile = os.path.join(self.dir, 'dockerd.pid')
        self.log_path = os.path.join(self.dir, 'dockerd.log')
        self.containerd_dir = os.path.join(self.dir, 'containerd')
        self.containerd_socket = os.path.join(self.containerd_dir,
                                              'containerd.sock')
        self.containerd_log = os.path.join(self.dir, 'containerd.log')
        self.netns = os.path.join(self.dir, 'netns')
        self.namespace = 'hcd-%s' % uuid.uuid4().hex[:10]
        self.shutdown_timeout = shutdown_timeout
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.dockerd = None
        self.containerd = None
        self._clients = []
        for path in (self.data_root, self.exec_root, self.containerd_dir):
            os.makedirs(path, mode=0o700)
        self._write_configs()

    # -- configuration -----------------------------------------------------

    def _write_configs(self):
        with open(os.path.join(self.dir, 'daemon.json'), 'w') as handle:
            json.dump({}, handle)
        toml = '\n'.join([
            'version = 2',
            'root = "%s"' % os.path.join(self.containerd_dir, 'root'),
            'state = "%s"' % os.path.join(self.containerd_dir, 'state'),
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
            '[grpc]',
            '  address = "%s"' % self.containerd_socket,
            '[debug]',
            '  level = "info"',
            '']) + '\n'
        with open(os.path.join(self.containerd_dir, 'config.toml'),
                  'w') as handle:
            handle.write(toml)

    def dockerd_args(self):
        return [
            shutil.which('nsenter'), '--net=' + self.netns, '--',
            shutil.which('dockerd'),
            '--host', self.url,
            '--group', 'root',
            '--config-file', os.path.join(self.dir, 'daemon.json'),
            '--data-root', self.data_root,
            '--exec-root', self.exec_root,
            '--pidfile', self.pidfile,
            '--containerd', self.containerd_socket,
            '--containerd-namespace', self.namespace,
            '--containerd-plugins-namespace', self.namespace + '-plugins',
            '--iptables=false', '--ip6tables=false', '--ip-masq=false',
            '--ip-forward=false',
            '--userland-proxy=true',
            '--userland-proxy-path', shutil.which('docker-proxy'),
            '--ip', '127.0.0.1',
            '--shutdown-timeout', str(self.shutdown_timeout),
            '--log-level', 'info',
        ]

    # -- diagnostics -------------------------------------------------------

    def log_tail(self, lines=40):
        return ('--- %s (last %d lines)\n%s\n--- %s (last %d lines)\n%s'
                % (self.log_path, lines, _tail(self.log_path, lines),
                   self.containerd_log, lines,
                   _tail(self.containerd_log, lines)))

    def _failure(self, message):
        return RuntimeError('%s\n%s' % (message, self.log_tail()))

    # -- lifecycle ---------------------------------------------------------

    def _spawn(self, args, log_path):
        with open(log_path, 'ab') as log:
            return subprocess.Popen(args, stdout=log, stderr=log,
                                    stdin=subprocess.DEVNULL,
                                    start_new_session=True)

    def _start_containerd(self, deadline):
        if self.containerd is not None and self.containerd.poll() is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.containerd_socket)     # left by a kill
        self.containerd = self._spawn(
            [shutil.which('containerd'), '--config',
             os.path.join(self.containerd_dir, 'config.toml')],
            self.containerd_log)
        while time.monotonic() < deadline:
            if self.containerd.poll() is not None:
                raise self._failure('containerd exited with %s'
                                    % self.containerd.returncode)
            if os.path.exists(self.containerd_socket):
                return
            time.sleep(0.05)
        raise self._failure('containerd made no socket in time')

    def _ensure_netns(self):
        """The daemon's network namespace, with its loopback up."""
        if os.path.ismount(self.netns):
            return
        open(self.netns, 'w').close()
        ip = shutil.which('ip')
        link_up = [ip] if ip else [shutil.which('busybox'), 'ip']
        for command in (
                [shutil.which('unshare'), '--net=' + self.netns, 'true'],
                [shutil.which('nsenter'), '--net=' + self.netns, '--']
                + link_up + ['link', 'set', 'lo', 'up']):
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode:
                raise RuntimeError('%s: %s' % (' '.join(command),
                                               result.stderr.strip()))

    def fetch(self, url, timeout=10):
        """GET `url` from inside the daemon's network namespace (busybox
        wget): how to reach a port it published on 127.0.0.1."""
        result = subprocess.run(
            [shutil.which('nsenter'), '--net=' + self.netns, '--',
             # No -T: Debian 12's static busybox wget crashes with it.
             shutil.which('busybox'), 'wget', '-O', '-', url],
            capture_output=True, text=True, timeout=timeout)
        if result.returncode:
            raise AssertionError('GET %s in the private daemon\'s network '
                                 'namespace failed (%s): %s' % (
                                     url, result.returncode,
                                     result.stderr.strip()))
        return result.stdout

    def start(self):
        """Start containerd and dockerd; return once /_ping answers."""
        if self.running():
            return self
        self._ensure_netns()
        deadline = time.monotonic() + self.start_timeout
        self._start_containerd(deadline)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket)
        self.dockerd = self._spawn(self.dockerd_args(), self.log_path)
        client = docker.APIClient(base_url=self.url, version=API_VERSION,
                                  timeout=5)
        try:
            while time.monotonic() < deadline:
                if self.dockerd.poll() is not None:
                    raise self._failure('dockerd exited with %s at start'
                                        % self.dockerd.returncode)
                with contextlib.suppress(Exception):
                    if client.ping():
                        return self
                time.sleep(0.1)
        finally:
            client.close()
        self._kill(self.dockerd)
        raise self._failure('dockerd did not answer /_ping within %ss'
                            % self.start_timeout)

    def running(self):
        return self.dockerd is not None and self.dockerd.poll() is None

    def stop(self, containerd=True):
        """SIGTERM dockerd (then containerd); SIGKILL after stop_timeout.

        :returns: seconds dockerd took to exit.
        """
        began = time.monotonic()
        if self.running():
            self.dockerd.send_signal(signal.SIGTERM)
            try:
                self.dockerd.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._kill(self.dockerd)
                raise self._failure('dockerd did not exit within %ss of '
                                    'SIGTERM; killed' % self.stop_timeout)
        took = time.monotonic() - began
        if containerd:
            self._stop_containerd()
        return took

    def _stop_containerd(self):
        if self.containerd is None or self.containerd.poll() is not None:
            return
        self.containerd.send_signal(signal.SIGTERM)
        try:
            self.containerd.wait(30)
        except subprocess.TimeoutExpired:
            self._kill(self.containerd)

    def _kill(self, proc):
        if proc is not None and proc.poll() is None:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)

    def restart(self, containerd=True):
        """stop() then start() on the same data root.

        :returns: (seconds to stop, seconds to start).
        """
        stopped = self.stop(containerd=containerd)
        began = time.monotonic()
        self.start()
        return stopped, time.monotonic() - began

    def client(self, **kwargs):
        """A docker.DockerClient on this daemon (closed by cleanup)."""
        kwargs.setdefault('version', 'auto')
        kwargs.setdefault('timeout', 60)
        client = docker.DockerClient(base_url=self.url, **kwargs)
        self._clients.append(client)
        return client

    # -- cleanup -------------------------------------------------------------

    def cleanup(self):
        """Remove everything this daemon made, then its directory."""
        errors = []
        if self.running():
            try:
                self._remove_objects()
            except Exception as e:  # noqa: keep cleaning
                errors.append('removing containers/networks: %s' % e)
            try:
                self.stop()
            except RuntimeError as e:
                errors.append(str(e))
        self._kill(self.dockerd)
        self._stop_containerd()
        for client in self._clients:
            with contextlib.suppress(Exception):
                client.close()
        self._kill_shims()
        # Dropping the namespace's last reference deletes its interfaces.
        if os.path.ismount(self.netns):
            subprocess.run(['umount', self.netns], capture_output=True)
        for point in _mounts_under(self.dir):
            result = subprocess.run(['umount', point], capture_output=True)
            if result.returncode:
                subprocess.run(['umount', '-l', point], capture_output=True)
        try:
            shutil.rmtree(self.dir)
        except OSError as e:
            errors.append('removing %s: %s' % (self.dir, e))
        if errors:
            raise RuntimeError('private dockerd cleanup: %s'
                               % '; '.join(errors))

    def _remove_objects(self):
        with docker.APIClient(base_url=self.url, version=API_VERSION,
                              timeout=60) as api:
            for container in api.containers(all=True):
                with contextlib.suppress(docker.errors.NotFound):
                    api.remove_container(container['Id'], v=True,
                                         force=True)
            for network in api.networks():
                if network['Name'] not in ('bridge', 'host', 'none'):
                    with contextlib.suppress(docker.errors.NotFound):
                        api.remove_network(network['Id'])

    def _kill_shims(self):
        """Shims of our containerd (and their containers) left by a kill."""
        marker = self.containerd_socket.encode()
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            args = _cmdline(int(entry))
            if not args or not os.path.basename(args[0]).startswith(
                    b'containerd-shim') or marker not in args:
                continue
            with contextlib.suppress(psutil.NoSuchProcess):
                shim = psutil.Process(int(entry))
                tree = [shim] + shim.children(recursive=True)
                for process in tree:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        process.send_signal(signal.SIGKILL)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.cleanup()

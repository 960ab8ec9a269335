"""A throwaway PostgreSQL server from Debian's packages, on 127.0.0.1."""

import glob
import os
import shutil
import subprocess
import tempfile
import time

from tests.support import engine as engine_support


def _bin(name):
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/%s' % name))
    return found[-1] if found else None


def available():
    return _bin('initdb') is not None and _bin('postgres') is not None


def _as_postgres(args, **kwargs):
    return ['setpriv', '--reuid=postgres', '--regid=postgres',
            '--init-groups'] + args


class PostgresServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='hc-pg-')
        self.port = engine_support.free_port()
        self.proc = None

    def start(self):
        shutil.chown(self.dir, 'postgres', 'postgres')
        data = os.path.join(self.dir, 'data')
        subprocess.run(_as_postgres([_bin('initdb'), '-D', data, '-U',
                                     'postgres', '--auth=trust', '-E',
                                     'UTF8', '--no-locale']),
                       check=True, capture_output=True, cwd='/')
        self.proc = subprocess.Popen(
            _as_postgres([_bin('postgres'), '-D', data,
                          '-c', 'listen_addresses=127.0.0.1',
                          '-c', 'port=%d' % self.port,
                          '-c', 'unix_socket_directories=%s' % self.dir,
                          '-c', 'fsync=off', '-c', 'max_connections=200']),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd='/')
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [_bin('pg_isready'), '-h', '127.0.0.1', '-p',
                 str(self.port)], capture_output=True)
            if ready.returncode == 0:
                return self
            time.sleep(0.2)
        raise RuntimeError('PostgreSQL did not start')

    def create_database(self, name):
        subprocess.run([_bin('psql') or 'psql', '-h', '127.0.0.1', '-p',
                        str(self.port), '-U', 'postgres', '-c',
                        'CREATE DATABASE %s' % name],
                       check=True, capture_output=True)
        return ('postgresql+psycopg2://postgres@127.0.0.1:%d/%s'
                % (self.port, name))

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)

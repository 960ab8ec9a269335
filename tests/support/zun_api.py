"""A real zun-api 18.0.0 on 127.0.0.1 for the contract test (issue 20).

``ZunApi(keystone_url, service_auth).start()`` brings up, each as its own
process under a temporary directory that ``stop()`` removes:

1. MariaDB from Debian (``mariadbd``, installed by tools/setup-zun-api.sh):
   a fresh datadir, 127.0.0.1 on a free port, a ``zun`` database and user.
2. Zun's schema: ``zun-db-manage upgrade`` (Zun's own alembic migrations).
3. :mod:`tests.support.zun_outbound`: Keystone passed through with
   Neutron, Placement and Cinder added to the catalogs zun-api sees, and
   those three answered as an empty cloud (no resource providers).
4. ``zun-api`` from the zun venv (/opt/heat-capsule/zun-venv, or
   ``HEAT_CAPSULE_ZUN_VENV``) with Zun's own ``api-paste.ini``
   (keystonemiddleware and all), ``transport_url = fake://`` (zun-api makes
   no RPC call on these paths: scheduling fails in-process, and a capsule
   with no host is deleted from the database by zun-api itself).

``service_auth`` is a keystoneauth password dict (auth_url, username,
password, project_name, user_domain_name, project_domain_name) that zun-api
uses as its service user for keystonemiddleware and ``[keystone_auth]``;
its ``auth_url`` is replaced by the outbound process's ``/identity``.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import requests

from tests.support import engine as engine_support

ZUN_VENV = os.environ.get('HEAT_CAPSULE_ZUN_VENV',
                          '/opt/heat-capsule/zun-venv')
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..',
                                         '..'))
DB_PASSWORD = 'zun-contract'
AUTH_KEYS = ('username', 'password', 'project_name', 'user_domain_name',
             'project_domain_name')


def installed():
    """Whether tools/setup-zun-api.sh has run on this machine."""
    return (os.access(os.path.join(ZUN_VENV, 'bin', 'zun-api'), os.X_OK)
            and shutil.which('mariadbd', path='/usr/sbin:/usr/bin')
            is not None)


def _auth_section(name, auth_url, auth):
    lines = ['[%s]' % name, 'auth_type = password', 'auth_url = %s' % auth_url]
    lines += ['%s = %s' % (key, auth[key]) for key in AUTH_KEYS]
    return '\n'.join(lines) + '\n'


class ZunApi:
    """MariaDB + Zun's schema + the outbound stand-ins + zun-api."""

    def __init__(self, keystone_url, service_auth):
        self.keystone_url = keystone_url.rstrip('/')
        self.service_auth = service_auth
        self.dir = None
        self.procs = []
        self.db_port = self.outbound_port = self.port = None

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    @property
    def outbound_url(self):
        return 'http://127.0.0.1:%d' % self.outbound_port

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def start(self):
        self.dir = tempfile.mkdtemp(prefix='hc-zun-')
        try:
            self._mariadb()
            self._outbound()
            self._write_config()
            self._run([os.path.join(ZUN_VENV, 'bin', 'zun-db-manage'),
                       '--config-file', self.path('zun.conf'), 'upgrade'],
                      'zun-db-manage')
            self._zun_api()
        except BaseException:
            self.stop()
            raise
        return self

    def _run(self, args, what):
        with open(self.path('%s.log' % what), 'ab') as log:
            done = subprocess.run(args, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=self.dir, timeout=120)
        if done.returncode:
            raise RuntimeError('%s failed (%d): %s' % (
                what, done.returncode, self.log_tail(what)))

    def _spawn(self, args, what, **kwargs):
        log = open(self.path('%s.log' % what), 'ab')
        with log:
            proc = subprocess.Popen(args, stdout=log,
                                    stderr=subprocess.STDOUT,
                                    cwd=kwargs.pop('cwd', self.dir), **kwargs)
        self.procs.append((what, proc))
        return proc

    def log_tail(self, what, lines=30):
        try:
            with open(self.path('%s.log' % what), errors='replace') as f:
                return ''.join(f.readlines()[-lines:])
        except OSError:
            return ''

    def _wait(self, ready, what, proc, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError('%s exited (%s): %s' % (
                    what, proc.returncode, self.log_tail(what)))
            try:
                if ready():
                    return
            except Exception:  # noqa: not up yet
                pass
            time.sleep(0.2)
        raise RuntimeError('%s not ready within %ss: %s' % (
            what, timeout, self.log_tail(what)))

    def _mariadb(self):
        data = self.path('mysql')
        self.db_port = engine_support.free_port()
        self._run(['mariadb-install-db', '--user=root', '--datadir=' + data,
                   '--auth-root-authentication-method=normal',
                   '--skip-test-db'], 'mariadb-install-db')
        socket = self.path('mysql.sock')
        proc = self._spawn([
            '/usr/sbin/mariadbd', '--no-defaults', '--user=root',
            '--datadir=' + data, '--bind-address=127.0.0.1',
            '--port=%d' % self.db_port, '--socket=' + socket,
            '--pid-file=' + self.path('mysql.pid'), '--skip-name-resolve',
            '--innodb-flush-log-at-trx-commit=0', '--skip-log-bin'],
            'mariadbd')
        sql = ("CREATE DATABASE zun; CREATE USER 'zun'@'127.0.0.1' "
               "IDENTIFIED BY '%s'; GRANT ALL ON zun.* TO 'zun'@'127.0.0.1';"
               % DB_PASSWORD)
        self._wait(lambda: subprocess.run(
            ['mariadb', '--no-defaults', '-S', socket, '-u', 'root', '-e',
             sql], capture_output=True).returncode == 0, 'mariadbd', proc)

    def _outbound(self):
        self.outbound_port = engine_support.free_port()
        proc = self._spawn([
            sys.executable, '-m',
            'tests.support.zun_outbound', '--port', str(self.outbound_port),
            '--keystone', self.keystone_url], 'outbound', cwd=REPO_ROOT)
        self._wait(lambda: requests.get(self.outbound_url + '/_calls',
                                        timeout=2).ok, 'outbound', proc)

    def _write_config(self):
        self.port = engine_support.free_port()
        identity = self.outbound_url + '/identity/v3'
        auth = dict(self.service_auth)
        shutil.copy(os.path.join(ZUN_VENV, 'etc', 'zun', 'api-paste.ini'),
                    self.path('api-paste.ini'))
        text = '\n'.join([
            '[DEFAULT]',
            'transport_url = fake://',
            'state_path = %s' % self.dir,
            '[api]',
            'host_ip = 127.0.0.1',
            'port = %d' % self.port,
            'workers = 1',
            'api_paste_config = %s' % self.path('api-paste.ini'),
            '[database]',
            'connection = mysql+pymysql://zun:%s@127.0.0.1:%d/zun'
            % (DB_PASSWORD, self.db_port),
            '[oslo_concurrency]',
            'lock_path = %s' % self.path('lock'),
            '',
        ])
        text += _auth_section('keystone_authtoken', identity, auth)
        text += 'www_authenticate_uri = %s\n' % identity
        text += _auth_section('keystone_auth', identity, auth)
        with open(self.path('zun.conf'), 'w') as f:
            f.write(text)

    def _zun_api(self):
        proc = self._spawn([os.path.join(ZUN_VENV, 'bin', 'zun-api'),
                            '--config-file', self.path('zun.conf')],
                           'zun-api')
        self._wait(lambda: requests.get(self.url + '/', timeout=2).ok,
                   'zun-api', proc)

    def calls(self):
        """The requests zun-api made to the outbound process, in order."""
        return requests.get(self.outbound_url + '/_calls', timeout=10).json()

    def stop(self):
        for what, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
        self.procs = []
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

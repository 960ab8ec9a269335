"""noauth only on loopback: the rule of auth.check_exposure.

(tests/functional/test_noauth_exposure.py runs the real engine both ways.)
"""

import logging

from oslo_config import cfg
import pytest

from heat_capsule.engine import auth
from heat_capsule.engine import cmd


def conf(**api):
    conf = cmd.prepare([], cfg.ConfigOpts(), setup_logging=False)
    for name, value in api.items():
        conf.set_override(name, value, 'api')
    return conf


@pytest.mark.parametrize('host', ['127.0.0.1', '127.0.0.53', '::1',
                                  'localhost'])
def test_loopback_addresses(host):
    assert auth.is_loopback(host)


@pytest.mark.parametrize('host', ['0.0.0.0', '::', '10.0.0.1', '192.0.2.7',
                                  '::ffff:10.0.0.1', 'fe80::1',
                                  'no-such-host.invalid'])
def test_addresses_other_machines_may_reach(host):
    assert not auth.is_loopback(host)


@pytest.mark.parametrize('listen', ['0.0.0.0', '::', '192.0.2.7'])
def test_noauth_off_loopback_is_refused(listen):
    with pytest.raises(auth.InsecureNoauth, match='allow_insecure_noauth'):
        auth.check_exposure(conf(listen=listen))


def test_the_override_warns(caplog):
    with caplog.at_level(logging.WARNING):
        auth.check_exposure(conf(listen='0.0.0.0',
                                 allow_insecure_noauth=True))
    assert 'INSECURE' in caplog.text


@pytest.mark.parametrize('settings', [
    {'listen': '127.0.0.1'},
    {'listen': '::1'},
    {'listen': '0.0.0.0', 'auth_strategy': 'keystone'},
])
def test_loopback_or_keystone_is_fine(settings, caplog):
    with caplog.at_level(logging.WARNING):
        auth.check_exposure(conf(**settings))
    assert 'INSECURE' not in caplog.text


def test_first_request_of_each_client_warns_once(caplog):
    seen = []
    app = auth.NoAuth(lambda environ, start: seen.append(environ) or [],
                      conf(listen='0.0.0.0', allow_insecure_noauth=True))
    with caplog.at_level(logging.WARNING):
        for client in ('192.0.2.1', '192.0.2.1', '192.0.2.2', '192.0.2.1'):
            app({'REMOTE_ADDR': client, 'HTTP_X_ROLES': 'admin'}, None)
    warnings = [r.getMessage() for r in caplog.records
                if 'noauth request from' in r.getMessage()]
    assert len(seen) == 4
    assert len(warnings) == 2
    assert 'noauth request from 192.0.2.1' in warnings[0]
    assert 'roles admin' in warnings[0]


def test_no_warning_on_loopback(caplog):
    app = auth.NoAuth(lambda environ, start: [], conf())
    with caplog.at_level(logging.WARNING):
        app({'REMOTE_ADDR': '127.0.0.1'}, None)
    assert 'noauth request' not in caplog.text

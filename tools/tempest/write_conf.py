#!/usr/bin/env python3
"""Writes a tempest.conf for a cloud from OpenStack's OS_* variables.

    source admin-openrc && python3 write_conf.py OUT [key=value ...]

The credentials are an admin's (tempest's dynamic credentials create a
project and user per test class, which needs admin). Only Keystone, Heat and
the ``container`` service are expected: every other service is marked
unavailable, and no isolated networks are made (no Neutron). Each extra
``section.option=value`` argument is set as given (e.g. the stand-in image
names). Standard library only: it runs before tempest is installed.
"""

import configparser
import os
import sys


def settings(environ):
    """{section: {option: value}} for the cloud ``environ`` describes."""
    auth_url = environ['OS_AUTH_URL'].rstrip('/')
    if not auth_url.endswith('/v3'):
        auth_url += '/v3'
    return {
        'auth': {
            'use_dynamic_credentials': 'true',
            'create_isolated_networks': 'false',
            'admin_username': environ['OS_USERNAME'],
            'admin_password': environ['OS_PASSWORD'],
            'admin_project_name': environ['OS_PROJECT_NAME'],
            'admin_domain_name': environ.get('OS_USER_DOMAIN_NAME',
                                             'Default'),
        },
        'identity': {
            'uri_v3': auth_url,
            'auth_version': 'v3',
            'region': environ.get('OS_REGION_NAME', 'RegionOne'),
            'v3_endpoint_type': environ.get('OS_INTERFACE', 'public'),
        },
        'service_available': {
            'heat_capsule': 'true', 'zun': 'true',
            'nova': 'false', 'neutron': 'false', 'cinder': 'false',
            'glance': 'false', 'swift': 'false',
        },
    }


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_dict(settings(os.environ))
    for item in argv[2:]:
        key, _, value = item.partition('=')
        section, _, option = key.rpartition('.')
        if section != configparser.DEFAULTSECT and \
                not conf.has_section(section):
            conf.add_section(section)
        conf.set(section, option, value)
    os.makedirs(os.path.dirname(os.path.abspath(argv[1])), exist_ok=True)
    with open(argv[1], 'w') as handle:
        conf.write(handle)
    os.chmod(argv[1], 0o600)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

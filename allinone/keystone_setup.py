"""The Keystone objects of the all-in-one, created or corrected in place.

Run by allinone/allinone.sh with the venv's Python once Keystone answers::

    python keystone_setup.py SPEC.json

SPEC is a JSON object (written by the script, mode 0600)::

    {"auth_url": "http://127.0.0.1:5000/v3", "region": "RegionOne",
     "admin_password": "...", "demo_password": "...",
     "heat_password": "...", "engine_password": "...",
     "domain_admin_password": "...",
     "heat_url": "http://127.0.0.1:8004/v1/%(tenant_id)s",
     "engine_url": "http://127.0.0.1:9517/v1"}

Idempotent: everything is looked up first and only what is missing or
different is created or updated, so a second run changes nothing. One
process does it all (the same with ``openstack`` commands takes ten times
longer: each one starts a Python interpreter).

What it makes:

* projects ``service`` and ``demo`` in the Default domain;
* roles ``heat_stack_owner`` and ``heat_stack_user`` (Heat's), next to the
  ``admin``/``member``/``reader``/``service`` roles that bootstrap made;
* user ``heat`` (admin on ``service``, as devstack does: Heat's trusts and
  stack domain need it), user ``heat-capsule`` (role ``service`` on
  ``service``: enough for keystonemiddleware to validate tokens) and user
  ``demo`` (``member`` and ``heat_stack_owner`` on ``demo``);
* domain ``heat`` and its admin ``heat_domain_admin`` (Heat's stack domain);
* services ``heat`` (orchestration) and ``heat-capsule`` (container) with
  public, internal and admin endpoints in the region.
"""

import json
import sys

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from keystoneclient.v3 import client as ks_client

INTERFACES = ('public', 'internal', 'admin')


class Setup:
    def __init__(self, spec):
        self.spec = spec
        auth = v3.Password(
            auth_url=spec['auth_url'], username='admin',
            password=spec['admin_password'], project_name='admin',
            user_domain_id='default', project_domain_id='default')
        self.ks = ks_client.Client(
            session=ks_session.Session(auth=auth, timeout=60),
            interface='public')
        self.changes = []

    def note(self, what):
        self.changes.append(what)

    # -- find or create -------------------------------------------------

    def domain(self, name, description=''):
        found = self.ks.domains.list(name=name)
        if found:
            return found[0]
        self.note('domain %s' % name)
        return self.ks.domains.create(name=name, description=description)

    def project(self, name, domain='default'):
        found = self.ks.projects.list(name=name, domain=domain)
        if found:
            return found[0]
        self.note('project %s' % name)
        return self.ks.projects.create(name=name, domain=domain)

    def role(self, name):
        found = self.ks.roles.list(name=name)
        if found:
            return found[0]
        self.note('role %s' % name)
        return self.ks.roles.create(name=name)

    def user(self, name, password, domain='default'):
        found = self.ks.users.list(name=name, domain=domain)
        if not found:
            self.note('user %s' % name)
            return self.ks.users.create(name=name, password=password,
                                        domain=domain, enabled=True)
        user = found[0]
        # The password is write-only; setting it again is cheap and keeps
        # the user in step with the secrets file.
        self.ks.users.update(user, password=password, enabled=True)
        return user

    def grant(self, role, user, project=None, domain=None):
        kwargs = {'user': user}
        if project is not None:
            kwargs['project'] = project
        else:
            kwargs['domain'] = domain
        existing = self.ks.role_assignments.list(role=role, **kwargs)
        if existing:
            return
        self.note('role %s for %s on %s'
                  % (role.name, user.name, (project or domain).name))
        self.ks.roles.grant(role, **kwargs)

    def service(self, name, service_type, description):
        for service in self.ks.services.list(type=service_type):
            if service.name == name:
                return service
        self.note('service %s (%s)' % (name, service_type))
        return self.ks.services.create(name=name, type=service_type,
                                       description=description)

    def endpoints(self, service, url):
        region = self.spec['region']
        existing = {e.interface: e for e in
                    self.ks.endpoints.list(service=service, region=region)}
        for interface in INTERFACES:
            endpoint = existing.get(interface)
            if endpoint is None:
                self.note('%s endpoint of %s' % (interface, service.name))
                self.ks.endpoints.create(service=service, url=url,
                                         interface=interface, region=region)
            elif endpoint.url != url or not endpoint.enabled:
                self.note('%s endpoint of %s -> %s'
                          % (interface, service.name, url))
                self.ks.endpoints.update(endpoint, url=url, enabled=True)

    def region(self):
        name = self.spec['region']
        if not any(r.id == name for r in self.ks.regions.list()):
            self.note('region %s' % name)
            self.ks.regions.create(id=name)

    # -- the whole set ----------------------------------------------------

    def run(self):
        spec = self.spec
        self.region()
        service_project = self.project('service')
        demo_project = self.project('demo')
        roles = {name: self.role(name) for name in (
            'admin', 'member', 'reader', 'service', 'heat_stack_owner',
            'heat_stack_user')}

        heat = self.user('heat', spec['heat_password'])
        self.grant(roles['admin'], heat, project=service_project)
        engine = self.user('heat-capsule', spec['engine_password'])
        self.grant(roles['service'], engine, project=service_project)
        demo = self.user('demo', spec['demo_password'])
        self.grant(roles['member'], demo, project=demo_project)
        self.grant(roles['heat_stack_owner'], demo, project=demo_project)

        heat_domain = self.domain(
            'heat', 'Owns the users and projects Heat creates for stacks')
        domain_admin = self.user('heat_domain_admin',
                                 spec['domain_admin_password'],
                                 domain=heat_domain)
        self.grant(roles['admin'], domain_admin, domain=heat_domain)

        orchestration = self.service('heat', 'orchestration',
                                     'Heat Orchestration Service')
        self.endpoints(orchestration, spec['heat_url'])
        container = self.service(
            'heat-capsule', 'container',
            'heat-capsule-engine: Zun-compatible capsules on Docker')
        self.endpoints(container, spec['engine_url'])
        return self.changes


def main(argv):
    with open(argv[1]) as handle:
        spec = json.load(handle)
    changes = Setup(spec).run()
    if changes:
        print('created or updated: %s' % '; '.join(changes))
    else:
        print('all Keystone objects already in place')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

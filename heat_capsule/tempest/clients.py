"""REST clients for the scenario tests, on tempest's ``RestClient``.

Tempest 47 ships no orchestration client (Heat's tests live in
heat-tempest-plugin), and the plugin must not need python-heatclient or
python-zunclient, so the few calls the tests make are written here against
the public APIs: Heat's v1 stack API and Zun's capsule API. Every call
raises tempest's ``exceptions`` for an unexpected status (``NotFound`` for
404, ``BadRequest`` for 400, ...).
"""

import time

from oslo_serialization import jsonutils as json
from tempest.lib.common import rest_client
from tempest.lib import exceptions

# Stack statuses Heat reports while an action runs; any other is final.
IN_PROGRESS = '_IN_PROGRESS'


class StackTimeout(exceptions.TimeoutException):
    message = 'Stack %(stack)s did not leave %(status)s in %(timeout)s s'


class OrchestrationClient(rest_client.RestClient):
    """Heat's stack API (``/v1/{project_id}/stacks``) as tempest sees it.

    A stack is named by its ``"name/id"`` identifier, as Heat's links are.
    """

    def create_stack(self, name, template, parameters=None, timeout_mins=10):
        """POST /stacks; :returns: the ``"name/id"`` identifier (201)."""
        body = json.dumps({'stack_name': name, 'template': template,
                           'parameters': parameters or {},
                           'timeout_mins': timeout_mins})
        resp, body = self.post('stacks', body)
        self.expected_success(201, resp.status)
        return '%s/%s' % (name, json.loads(body)['stack']['id'])

    def update_stack(self, ident, template, parameters=None):
        """PUT /stacks/{name}/{id} (202): the whole template again."""
        body = json.dumps({'template': template,
                           'parameters': parameters or {}})
        resp, _body = self.put('stacks/%s' % ident, body)
        self.expected_success(202, resp.status)

    def show_stack(self, ident):
        """GET /stacks/{name}/{id}; :returns: the stack dict."""
        resp, body = self.get('stacks/%s' % ident)
        self.expected_success(200, resp.status)
        return json.loads(body)['stack']

    def delete_stack(self, ident):
        """DELETE /stacks/{name}/{id} (204)."""
        resp, _body = self.delete('stacks/%s' % ident)
        self.expected_success(204, resp.status)

    def show_resource(self, ident, resource):
        """GET /stacks/{name}/{id}/resources/{resource}: the resource."""
        resp, body = self.get('stacks/%s/resources/%s' % (ident, resource))
        self.expected_success(200, resp.status)
        return json.loads(body)['resource']

    def outputs(self, ident):
        """{output key: value} of a stack; an output Heat could not
        compute raises ``AssertionError`` with Heat's error."""
        found = {}
        for output in self.show_stack(ident).get('outputs') or []:
            if output.get('output_error'):
                raise AssertionError('output %s: %s' % (
                    output['output_key'], output['output_error']))
            found[output['output_key']] = output.get('output_value')
        return found

    def wait_for_stack(self, ident):
        """Polls until the stack's status is final.

        :returns: the stack dict; ``None`` once it is gone (404).
        :raises StackTimeout: after ``build_timeout`` seconds.
        """
        deadline = time.monotonic() + self.build_timeout
        while True:
            try:
                stack = self.show_stack(ident)
            except exceptions.NotFound:
                return None
            if not stack['stack_status'].endswith(IN_PROGRESS):
                return stack
            if time.monotonic() > deadline:
                raise StackTimeout(stack=ident, status=stack['stack_status'],
                                   timeout=self.build_timeout)
            time.sleep(self.build_interval)


class CapsuleClient(rest_client.RestClient):
    """Zun's capsule API (``/v1/capsules``) of the ``container`` service.

    Requests ask for microversion ``latest``, so the capsule shows its
    current form (``metadata``, ``init_containers``) on a real Zun and on
    the engine alike.
    """

    microversion = 'latest'

    def get_headers(self, accept_type=None, send_type=None):
        headers = super().get_headers(accept_type, send_type)
        headers['OpenStack-API-Version'] = 'container %s' % self.microversion
        return headers

    def list_capsules(self):
        """GET /v1/capsules, every page: the project's capsules."""
        url, capsules = 'capsules', []
        while url:
            resp, body = self.get(url)
            self.expected_success(200, resp.status)
            page = json.loads(body)
            capsules.extend(page['capsules'])
            url = _relative(page.get('next'), 'capsules')
        return capsules

    def show_capsule(self, ident):
        """GET /v1/capsules/{uuid}; 404 raises ``NotFound``."""
        resp, body = self.get('capsules/%s' % ident)
        self.expected_success(200, resp.status)
        return json.loads(body)

    def extensions(self):
        """Extension names the service advertises in ``GET /``
        (``versions[].extensions`` of the CURRENT version, see
        ``heat_capsule.heat.features``); empty for a real Zun."""
        self.skip_path()
        try:
            resp, body = self.get('')
        finally:
            self.reset_path()
        self.expected_success(200, resp.status)
        for version in json.loads(body).get('versions') or []:
            if version.get('status') == 'CURRENT':
                names = version.get('extensions')
                if isinstance(names, list):
                    return frozenset(str(name) for name in names)
        return frozenset()

    def delete_volume(self, uuid):
        """DELETE /v1/volumes/{uuid} (the engine's ``volumes``
        extension): removes a kept volume (204)."""
        resp, _body = self.delete('volumes/%s' % uuid)
        self.expected_success(204, resp.status)


def _relative(url, collection):
    """The part of a ``next`` link from ``collection`` on, or None."""
    if not url:
        return None
    return url[url.index(collection):] if collection in url else url

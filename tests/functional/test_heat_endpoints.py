"""OS::Zun::Capsule's ``endpoints`` attribute and ports[].host_port, through
Heat's real engine (tests.support.heat_rig) on a real capsule engine.

templates/webserver.yaml's ``url`` output (yaql over ``endpoints``) is
fetched with an HTTP client on 127.0.0.1, the engine's publish address.
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig

import http.server  # noqa: E402
import os  # noqa: E402
import threading  # noqa: E402

import requests  # noqa: E402

from tests.functional.test_endpoints import fetch  # noqa: E402
from tests.functional import test_heat_capsule as heat_tests  # noqa: E402
from tests.support import engine as engine_support  # noqa: E402

HOST_PORT_TEMPLATE = '''
heat_template_version: 2021-04-16
parameters:
  host_port: {type: number}
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - name: web
          image: busybox
          command: [sh, -c, "echo fixed > /tmp/index.html;
                             exec httpd -f -p 8080 -h /tmp"]
          ports:
            - {container_port: 8080, host_port: {get_param: host_port}}
outputs:
  endpoints: {value: {get_attr: [capsule, endpoints]}}
'''


def test_webserver_template_url_serves_the_page(heat, engine):
    message = 'Hello from the endpoints test %s' % os.urandom(4).hex()
    identity, stack = heat_tests.create_and_wait(
        heat, 'web', heat_rig.HeatRig.read_template('webserver.yaml'),
        parameters={'message': message})
    heat_tests.assert_complete(stack, 'CREATE')
    capsule_uuid = heat_tests.physical_id(heat, identity, 'web')
    outputs = heat.outputs(identity)

    api = requests.get('%s/v1/capsules/%s/endpoints' % (engine.url,
                                                        capsule_uuid),
                       timeout=10).json()['endpoints']
    assert outputs['endpoints'] == api
    [endpoint] = api
    assert (endpoint['container'], endpoint['container_port'],
            endpoint['protocol'], endpoint['host_ip']) == (
        'httpd', 8080, 'tcp', '127.0.0.1')
    assert outputs['url'] == 'http://127.0.0.1:%d/' % endpoint['host_port']
    page = engine_support.wait_for(
        lambda: fetch(outputs['url']), timeout=30, what=outputs['url'])
    assert page == message + '\n'
    print('\nurl output: %s\nGET it: %s' % (outputs['url'], page.strip()))
    heat_tests.delete_and_wait(heat, identity)


def test_host_port_property_publishes_there(heat, engine):
    host_port = engine_support.free_port()
    identity, stack = heat_tests.create_and_wait(
        heat, 'fixed', HOST_PORT_TEMPLATE,
        parameters={'host_port': host_port})
    heat_tests.assert_complete(stack, 'CREATE')
    [endpoint] = heat.outputs(identity)['endpoints']
    assert (endpoint['container'], endpoint['host_port']) == ('web',
                                                              host_port)
    url = 'http://127.0.0.1:%d/' % host_port
    assert engine_support.wait_for(lambda: fetch(url), timeout=30,
                                   what=url) == 'fixed\n'
    # A second stack asking for the same host port fails with the reason.
    second, stack = heat_tests.create_and_wait(
        heat, 'fixed-again', HOST_PORT_TEMPLATE,
        parameters={'host_port': host_port})
    assert (stack['stack_action'], stack['stack_status']) == (
        'CREATE', 'FAILED'), stack
    assert 'Host port %d/tcp is in use by capsule %s' % (
        host_port, heat_tests.physical_id(heat, identity, 'capsule')) in \
        stack['stack_status_reason'], stack['stack_status_reason']
    heat_tests.delete_and_wait(heat, second)
    heat_tests.delete_and_wait(heat, identity)


class _NotFound(http.server.BaseHTTPRequestHandler):
    """A container service that knows no capsule and no extension."""

    def do_GET(self):
        body = (b'{"errors": [{"status": 404, "code": "container.notfound",'
                b' "title": "Not Found", "detail": "no such thing"}]}')
        self.send_response(404)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_endpoints_is_empty_against_a_service_without_the_extension(
        heat, engine):
    identity, stack = heat_tests.create_and_wait(
        heat, 'web-zun', heat_rig.HeatRig.read_template('webserver.yaml'))
    heat_tests.assert_complete(stack, 'CREATE')
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        heat.container_url = 'http://127.0.0.1:%d/v1' % server.server_port
        outputs = heat.outputs(identity)
    finally:
        heat.container_url = engine.url + '/v1'
        server.shutdown()
        server.server_close()
    assert outputs['endpoints'] == []
    assert outputs['url'] == ''
    heat_tests.delete_and_wait(heat, identity)

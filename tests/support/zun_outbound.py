"""What stands in for Neutron, Placement and Cinder around a real zun-api.

zun-api 18.0.0 finds Neutron (``network``), Placement (``placement``) and
Cinder (``volumev3``) in the Keystone catalog of the token it holds: the
user's token for Neutron and Cinder, its own service token
(``[keystone_auth]``) for Placement. The all-in-one's catalog has none
of the three, and registering them there would change what every other
user of the all-in-one sees (Heat offers OS::Neutron::* once a
``network`` service is in the catalog). So zun-api talks to the
all-in-one's Keystone through this process, which:

* passes every request under ``/identity`` on to Keystone unchanged, and in
  Keystone's answers only (a) rewrites Keystone's own address to this
  process's ``/identity`` (so keystonemiddleware's token validation also
  comes back here) and (b) adds three catalog services to token bodies:
  ``network`` at ``/network``, ``placement`` at ``/placement`` and
  ``volumev3`` at ``/volume/v3/<project>``, all on this process;
* answers those three the way an empty cloud does: Neutron has one
  project network (so zun-api's network lookup succeeds), Placement knows
  every trait asked about but has no resource provider
  (``GET /allocation_candidates`` lists none, so Zun's FilterScheduler
  raises NoValidHost: "There are not enough hosts available."), Cinder
  creates, shows and deletes volumes in memory.

Every request it serves is recorded; ``GET /_calls`` returns them as JSON
(``[{"method", "path"}]``) so a test can show which services zun-api
called. Anything else is a 404 that is recorded too.

Run: ``python -m tests.support.zun_outbound --port P --keystone URL``
(standard library only; binds 127.0.0.1).
"""

import argparse
import http.server
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

NETWORK_ID = '3f0c2b8e-5a6d-4c1e-9b7a-2d8f4e6a1c00'
CREATED_AT = '2026-01-01T00:00:00Z'
# Headers that belong to one hop and are not passed on.
HOP_HEADERS = ('host', 'connection', 'content-length', 'transfer-encoding',
               'accept-encoding', 'keep-alive')
VOLUME_PATH = re.compile(r'^/volume/v3/(?P<project>[^/]+)/volumes'
                         r'(?:/(?P<id>[^/?]+))?(?:/detail)?$')


def _endpoints(url):
    return [{'id': uuid.uuid4().hex, 'interface': interface,
             'region': 'RegionOne', 'region_id': 'RegionOne', 'url': url}
            for interface in ('public', 'internal', 'admin')]


def add_services(body, base):
    """Add network, placement and volumev3 to a Keystone v3 token body."""
    token = body.get('token') if isinstance(body, dict) else None
    if not isinstance(token, dict) or 'catalog' not in token:
        return body
    project = (token.get('project') or {}).get('id', 'none')
    token['catalog'] = [s for s in token['catalog'] if s.get('type') not in
                        ('network', 'placement', 'volumev3')] + [
        {'id': uuid.uuid4().hex, 'type': kind, 'name': name,
         'endpoints': _endpoints(base + path)}
        for kind, name, path in (
            ('network', 'neutron', '/network'),
            ('placement', 'placement', '/placement'),
            ('volumev3', 'cinderv3', '/volume/v3/' + project))]
    return body


class Outbound(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    keystone = None        # Keystone's base URL (no trailing slash)
    calls = []
    volumes = {}
    lock = threading.Lock()

    @property
    def base(self):
        return 'http://%s:%d' % self.server.server_address[:2]

    def log_message(self, fmt, *args):  # quiet: calls are recorded instead
        pass

    def _body(self):
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length else b''

    def _send(self, status, payload=None, headers=()):
        data = b'' if payload is None else (
            payload if isinstance(payload, bytes)
            else json.dumps(payload).encode())
        self.send_response(status)
        sent = set()
        for name, value in headers:
            self.send_header(name, value)
            sent.add(name.lower())
        if data and 'content-type' not in sent:
            self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self):
        path = urllib.parse.urlsplit(self.path).path
        body = self._body()
        if path == '/_calls':
            with self.lock:
                return self._send(200, list(self.calls))
        with self.lock:
            self.calls.append({'method': self.command, 'path': self.path})
        if path.startswith('/identity'):
            return self._keystone(body)
        if path.startswith('/network/'):
            return self._neutron(path)
        if path.startswith('/placement'):
            return self._placement(path)
        match = VOLUME_PATH.match(path)
        if match:
            return self._cinder(match, body)
        self._send(404, {'error': 'not served here: %s' % path})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

    # -- Keystone, passed through --------------------------------------

    def _keystone(self, body):
        url = self.keystone + self.path[len('/identity'):]
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP_HEADERS}
        request = urllib.request.Request(url, data=body or None,
                                         headers=headers,
                                         method=self.command)
        try:
            answer = urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as exc:
            answer = exc
        except OSError as exc:
            return self._send(502, {'error': 'Keystone: %s' % exc})
        with answer:
            data = answer.read()
            status = answer.status if hasattr(answer, 'status') else \
                answer.code
            out = [(k, v) for k, v in answer.headers.items()
                   if k.lower() not in HOP_HEADERS]
        mine = self.base + '/identity'
        if data and 'json' in (answer.headers.get('Content-Type') or ''):
            text = data.decode().replace(self.keystone, mine)
            data = json.dumps(add_services(json.loads(text),
                                           self.base)).encode()
        self._send(status, data if self.command != 'HEAD' else None, out)

    # -- Neutron: one network ----------------------------------------------

    def _neutron(self, path):
        if path.rstrip('/').endswith('/extensions'):
            return self._send(200, {'extensions': []})
        if not path.rstrip('/').endswith('/networks'):
            return self._send(404, {'NeutronError': {
                'type': 'HTTPNotFound', 'message': path, 'detail': ''}})
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        project = self.headers.get('X-Project-Id') or ''
        network = {'id': NETWORK_ID, 'name': 'private', 'shared': False,
                   'router:external': False, 'status': 'ACTIVE',
                   'admin_state_up': True, 'created_at': CREATED_AT,
                   'subnets': [], 'project_id': project,
                   'tenant_id': project}
        wanted = all(str(network.get(k)).lower() in [v.lower() for v in vs]
                     for k, vs in query.items() if k in ('id', 'name',
                                                         'shared'))
        self._send(200, {'networks': [network] if wanted else []})

    # -- Placement: no resource providers ----------------------------------

    def _placement(self, path):
        if path.rstrip('/').endswith('/allocation_candidates'):
            return self._send(200, {'allocation_requests': [],
                                    'provider_summaries': {}})
        if path.rstrip('/').endswith('/traits'):
            # Every trait asked about exists (Zun's compute_status_filter
            # asks for CUSTOM_ZUN_COMPUTE_STATUS_DISABLED before scheduling).
            query = urllib.parse.parse_qs(
                urllib.parse.urlsplit(self.path).query)
            names = ','.join(query.get('name', [])).removeprefix('in:')
            return self._send(200, {'traits': [n for n in names.split(',')
                                               if n]})
        if path.rstrip('/') == '/placement':
            return self._send(200, {'versions': [{
                'id': 'v1.0', 'status': 'CURRENT', 'min_version': '1.0',
                'max_version': '1.39', 'links': []}]})
        self._send(404, {'errors': [{'status': 404, 'title': 'Not Found',
                                     'detail': path}]})

    # -- Cinder: volumes in memory -----------------------------------------

    def _cinder(self, match, body):
        volume_id = match.group('id')
        if self.command == 'POST' and not volume_id:
            spec = json.loads(body or b'{}').get('volume', {})
            volume = {'id': str(uuid.uuid4()), 'size': spec.get('size', 1),
                      'status': 'available', 'attachments': [],
                      'multiattach': False, 'name': spec.get('name'),
                      'created_at': CREATED_AT, 'links': []}
            with self.lock:
                self.volumes[volume['id']] = volume
            return self._send(202, {'volume': volume})
        if not volume_id:
            with self.lock:
                return self._send(200, {'volumes':
                                        list(self.volumes.values())})
        with self.lock:
            volume = self.volumes.get(volume_id)
            if volume is not None and self.command == 'DELETE':
                del self.volumes[volume_id]
        if volume is None:
            return self._send(404, {'itemNotFound': {
                'code': 404, 'message': 'Volume %s not found' % volume_id}})
        if self.command == 'DELETE':
            return self._send(202)
        self._send(200, {'volume': volume})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--keystone', required=True,
                        help="Keystone's base URL, e.g. http://127.0.0.1:5000")
    args = parser.parse_args()
    Outbound.keystone = args.keystone.rstrip('/')
    server = http.server.ThreadingHTTPServer(('127.0.0.1', args.port),
                                             Outbound)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == '__main__':
    main()

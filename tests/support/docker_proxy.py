"""A Unix-socket forwarder to the Docker socket, to take Docker "down".

The engine under test talks to Docker through this proxy; stopping the
proxy cuts every connection (including the event stream), which the engine
sees exactly as a stopped dockerd, without disturbing the real daemon that
other tests and services share.  It can also hold back one kind of request
(:meth:`DockerProxy.hold`), to catch the engine with a Docker call in
flight.  It also keeps the path of every request it forwards
(``paths``, URL-decoded), to check which Docker calls the engine made.
"""

import contextlib
import os
import re
import socket
import threading
import urllib.parse

DOCKER_SOCKET = '/var/run/docker.sock'
_REQUEST_LINE = re.compile(rb'^(GET|HEAD|POST|PUT|DELETE) (\S+) HTTP/')


class DockerProxy:
    def __init__(self, path, target=DOCKER_SOCKET):
        self.path = path
        self.target = target
        self._listener = None
        self._connections = set()
        self._lock = threading.Lock()
        self._marker = None
        self._gate = threading.Event()
        self._gate.set()
        # Set once a request matching the hold() marker is being held.
        self.holding = threading.Event()
        # ('GET', '/v1.41/containers/json?filters=...') of each request.
        self.paths = []

    @property
    def url(self):
        return 'unix://' + self.path

    def start(self):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.path)
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,),
                         daemon=True).start()
        return self

    def hold(self, marker):
        """Hold back every request whose request line contains `marker`.

        :param marker: bytes, e.g. ``b'/containers/create'``.
        A held request reaches Docker on :meth:`release`; one still held
        when the proxy stops never does. ``holding`` is set when the first
        one arrives.
        """
        self.holding.clear()
        self._marker = marker
        self._gate.clear()

    def release(self):
        """Let held requests (and all later ones) through."""
        self._marker = None
        self._gate.set()

    def stop(self):
        """Refuse new connections and cut the open ones (held requests are
        dropped)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        with self._lock:
            connections, self._connections = self._connections, set()
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.release()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump,
                                 args=(source, sink, source is client),
                                 daemon=True).start()

    def _held(self, source, data):
        """Wait if `data` starts a request to hold; False to drop it (the
        proxy stopped meanwhile)."""
        marker = self._marker
        if marker is None or marker not in data.split(b'\r\n', 1)[0]:
            return True
        self.holding.set()
        self._gate.wait()
        with self._lock:
            return source in self._connections

    def _note(self, data):
        """Keep the request line `data` starts with (a body chunk or the
        rest of a long request starts with none)."""
        match = _REQUEST_LINE.match(data)
        if match:
            with self._lock:
                self.paths.append((match.group(1).decode(),
                                   urllib.parse.unquote(
                                       match.group(2).decode())))

    def _pump(self, source, sink, outbound):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if outbound:
                    self._note(data)
                    if not self._held(source, data):
                        break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

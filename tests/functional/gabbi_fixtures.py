"""gabbi fixtures: a real engine (API, database, reconciler, Docker)."""

from gabbi import fixture

from tests.support import engine as engine_support

ENGINE = None


def app():
    """The WSGI app gabbi intercepts.

    gabbi asks for it while it builds the tests, before any fixture ran, so
    this returns a WSGI callable that forwards to the engine EngineFixture
    starts.
    """
    def forward(environ, start_response):
        return ENGINE.app(environ, start_response)
    return forward


class EngineFixture(fixture.GabbiFixture):
    """One in-process engine per YAML file, on the real Docker engine."""

    def start_fixture(self):
        global ENGINE
        engine_support.ensure_test_images()
        ENGINE = engine_support.InProcessEngine(
            extra_conf='[api]\nmax_limit = 50\nmax_request_body_size = '
                       '65536\n')

    def stop_fixture(self):
        global ENGINE
        if ENGINE is not None:
            ENGINE.stop()
            ENGINE = None

"""The service wiring gives the API its Docker driver (issue 17 item 4)."""

import threading
import types

from heat_capsule.engine import service


def _services(runtime):
    return service.Services(conf=object(), db=None, enforcer=None,
                            runtime=runtime)


def test_the_runtime_driver_is_used_when_there_is_one(monkeypatch):
    made = []
    monkeypatch.setattr(service, 'make_driver',
                        lambda conf: made.append(conf) or object())
    driver = object()
    services = _services(types.SimpleNamespace(driver=driver))
    assert services.docker() is driver
    assert made == []


def test_an_api_only_process_makes_one_driver_and_leaves_the_runtime(
        monkeypatch):
    made = []
    monkeypatch.setattr(service, 'make_driver',
                        lambda conf: made.append(conf) or object())
    runtime = service.DetachedRuntime()
    services = _services(runtime)
    found = []
    threads = [threading.Thread(target=lambda: found.append(
        services.docker())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and len({id(d) for d in found}) == 1
    assert not hasattr(runtime, 'driver')    # nothing patched onto it

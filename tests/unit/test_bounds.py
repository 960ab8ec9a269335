"""heat_capsule.bounds' helpers and the engine's Docker host CPU count.

The bounds themselves are tabled in tests/support/bounds_table.py and
checked by test_validation.py (engine) and tests/unit/heat (Heat).
"""

import ast
import pathlib

import pytest

from heat_capsule import bounds
from heat_capsule.engine import host

# Go's path.Clean test table (src/path/path_test.go), the normalisation
# Docker applies to mount destinations.
CLEAN = [
    ('', '.'), ('abc', 'abc'), ('abc/def', 'abc/def'), ('a/b/c', 'a/b/c'),
    ('.', '.'), ('..', '..'), ('../..', '../..'), ('../../abc', '../../abc'),
    ('/abc', '/abc'), ('/', '/'), ('abc/', 'abc'), ('abc/def/', 'abc/def'),
    ('/abc/', '/abc'), ('//abc', '/abc'), ('///abc', '/abc'),
    ('//abc//', '/abc'), ('abc//', 'abc'), ('abc//def//ghi', 'abc/def/ghi'),
    ('//abc', '/abc'), ('abc/./def', 'abc/def'), ('/./abc/def', '/abc/def'),
    ('abc/.', 'abc'), ('abc/def/ghi/../jkl', 'abc/def/jkl'),
    ('abc/def/../ghi/../jkl', 'abc/jkl'), ('abc/def/..', 'abc'),
    ('abc/def/../..', '.'), ('/abc/def/../..', '/'),
    ('abc/def/../../..', '..'), ('/abc/def/../../..', '/'),
    ('abc/def/../../../ghi/jkl/../../../mno', '../../mno'),
    ('abc/./../def', 'def'), ('abc//./../def', 'def'),
    ('abc/../../././../def', '../../def'),
]


@pytest.mark.parametrize('path,cleaned', CLEAN)
def test_clean_path_is_gos_path_clean(path, cleaned):
    assert bounds.clean_path(path) == cleaned


def test_duplicates_are_found_after_normalisation():
    paths = ['/data', '/logs', '/data/.', None, '//logs/', '/x/../data']
    assert bounds.duplicate_paths(paths) == [(2, 0), (4, 1), (5, 0)]


def test_mounts_inside_read_only_ones():
    mounts = [('/data', True), ('/data/x', False), ('/data2', False),
              ('/logs', False), ('/logs/a', True), (None, True),
              ('/data', False)]
    assert bounds.inside_read_only(mounts) == [(1, 0)]


def test_exec_size_counts_bytes_and_terminators():
    # 'é' is 2 bytes; each argument has a NUL, each entry 'K=V' and a NUL.
    assert bounds.exec_size(['é', 'ab'], {'K': 'vv'}) == 3 + 3 + 5


def test_bounds_is_pure():
    """Heat imports it: only the standard library may be imported."""
    tree = ast.parse(pathlib.Path(bounds.__file__).read_text())
    imported = {alias.name.split('.')[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    assert imported <= {'re'}


# --- the Docker host's CPU count ---------------------------------------------

class FakeDriver:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = 0

    def host_cpus(self):
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeRuntime:
    def __init__(self, driver):
        self.driver = driver


def test_host_cpus_are_read_once_per_ttl():
    now = [100.0]
    driver = FakeDriver([2, 4])
    cpus = host.HostCPUs(lambda: FakeRuntime(driver), clock=lambda: now[0])
    assert cpus.cpus() == 2
    now[0] += host.TTL - 1
    assert cpus.cpus() == 2
    assert driver.calls == 1
    now[0] += 1
    assert cpus.cpus() == 4
    assert driver.calls == 2


def test_unknown_when_docker_does_not_answer_then_asked_again():
    now = [0.0]
    driver = FakeDriver([RuntimeError('down'), 8])
    cpus = host.HostCPUs(lambda: FakeRuntime(driver), clock=lambda: now[0])
    assert cpus.cpus() is None
    now[0] += host.RETRY - 1
    assert cpus.cpus() is None
    assert driver.calls == 1
    now[0] += 1
    assert cpus.cpus() == 8


def test_unknown_without_a_runtime():
    class Detached:
        pass
    assert host.HostCPUs(Detached).cpus() is None

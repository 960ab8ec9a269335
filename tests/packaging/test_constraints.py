"""heat-capsule's requirements under OpenStack's upper-constraints.

devstack and every OpenStack gate install with the release's
upper-constraints file (``-c``); a requirement whose lower bound is above
the pin makes ``stack.sh`` stop with ResolutionImpossible. These tests run
pip's own resolver (``pip install --dry-run --report``, metadata only,
nothing installed) over requirements.txt, test-requirements.txt and
tools/extra-requirements.txt with the constraints tools/setup-venv.sh
installs with (``constraints/`` edited by ``constraints/overrides.txt``),
check that every override is still needed, and that the environment the
tests run in was installed under the same constraints.

They need PyPI (the only network they use).
"""

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

import pytest
from packaging import requirements
from packaging import utils
from packaging import version

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                         '..', '..'))
REQUIREMENT_FILES = ['requirements.txt', 'test-requirements.txt',
                     os.path.join('tools', 'extra-requirements.txt')]


def _load_constraints_tool():
    spec = importlib.util.spec_from_file_location(
        'hc_constraints_tool', os.path.join(REPO_ROOT, 'tools',
                                            'constraints.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


constraints_tool = _load_constraints_tool()


def pins(text):
    """{normalised name: version} of a constraints file's ``===`` lines
    that apply to this interpreter (environment markers evaluated)."""
    found = {}
    for line in text.splitlines():
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        req = requirements.Requirement(line.replace('===', '==', 1))
        if req.marker is None or req.marker.evaluate():
            (spec,) = req.specifier
            found[utils.canonicalize_name(req.name)] = spec.version
    return found


def project_requirements():
    """(file, Requirement) for every line of the requirement files."""
    found = []
    for name in REQUIREMENT_FILES:
        with open(os.path.join(REPO_ROOT, name)) as handle:
            for line in handle:
                line = line.split('#', 1)[0].strip()
                if line:
                    found.append((name, requirements.Requirement(line)))
    return found


def resolve(constraints_text):
    """pip's resolver over the requirement files under the constraints.

    :returns: (pip's exit code, {normalised name: version} it picked,
        pip's stderr).
    """
    with tempfile.TemporaryDirectory(prefix='hc-constraints-') as tmp:
        constraints = os.path.join(tmp, 'constraints.txt')
        with open(constraints, 'w') as handle:
            handle.write(constraints_text)
        report = os.path.join(tmp, 'report.json')
        command = [sys.executable, '-m', 'pip', 'install', '--dry-run',
                   '--ignore-installed', '--quiet', '--report', report,
                   '-c', constraints]
        for name in REQUIREMENT_FILES:
            command += ['-r', os.path.join(REPO_ROOT, name)]
        proc = subprocess.run(command, capture_output=True, text=True,
                              timeout=600, cwd=tmp)
        picked = {}
        if proc.returncode == 0:
            with open(report) as handle:
                for item in json.load(handle)['install']:
                    meta = item['metadata']
                    picked[utils.canonicalize_name(meta['name'])] = (
                        meta['version'])
        return proc.returncode, picked, proc.stderr


@pytest.fixture(scope='module')
def effective():
    return constraints_tool.effective()


@pytest.fixture(scope='module')
def resolution(effective):
    return resolve(effective)


def test_lower_bounds_are_not_above_the_pins(effective):
    pinned = pins(effective)
    checked = 0
    for name, req in project_requirements():
        pin = pinned.get(utils.canonicalize_name(req.name))
        if pin is not None:
            checked += 1
            assert req.specifier.contains(pin, prereleases=True), (
                '%s: %s excludes the constraints pin %s===%s'
                % (name, req, req.name, pin))
    assert checked >= 20     # most requirements are pinned upstream


def test_requirements_resolve_under_the_constraints(effective,
                                                    resolution):
    code, picked, stderr = resolution
    assert code == 0, 'pip cannot resolve under the constraints:\n' + (
        stderr[-4000:])
    pinned = pins(effective)
    for name, got in picked.items():
        if name in pinned:
            assert version.Version(got) == version.Version(pinned[name]), (
                name, got, pinned[name])
    # The Heat and Keystone the project runs and tests (not in
    # upper-constraints: services never are) come along, and the client
    # set whose openstack CLI is quiet (python-openstackclient and
    # python-blazarclient as released together).
    for name in ('openstack-heat', 'keystone'):
        assert name in picked
    assert picked['python-openstackclient'] == (
        pinned['python-openstackclient'])
    assert picked['python-blazarclient'] == pinned['python-blazarclient']


def test_every_override_is_needed():
    # Without each override (the upstream pin kept), the resolver fails on
    # that very package: an override that is no longer needed must go.
    overrides = constraints_tool.read_overrides()
    assert overrides, 'constraints/overrides.txt lists nothing'
    for name in overrides:
        rest = {k: v for k, v in overrides.items() if k != name}
        code, _, stderr = resolve(constraints_tool.effective(
            overrides=rest))
        assert code != 0, '%s override is not needed any more' % name
        assert 'ResolutionImpossible' in stderr
        normalized = stderr.lower().replace('_', '-').replace('.', '-')
        assert name in normalized, stderr[-3000:]


def test_the_tests_run_under_the_constraints(effective, resolution):
    # What the tests exercise is what devstack and operators get: every
    # pinned package of the resolution is installed here at its pin
    # (tools/setup-venv.sh installs with -c). Unpinned ones (setuptools,
    # hypothesis, ...) only have to satisfy the requirements.
    code, picked, _ = resolution
    assert code == 0
    pinned = pins(effective)
    wrong = {}
    for name, wanted in picked.items():
        if name not in pinned:
            continue
        try:
            got = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            got = None
        if got is None or version.Version(got) != version.Version(wanted):
            wrong[name] = (got, wanted)
    assert not wrong, ('installed (got, wanted); re-run tools/setup-venv.sh:'
                       ' %s' % wrong)


def test_the_tool_drops_the_project_and_overridden_pins(tmp_path):
    upstream = tmp_path / 'upper-constraints-test.txt'
    upstream.write_text('# a comment\nheat_capsule===1.0\n'
                        'Oslo.VersionedObjects===3.11.0\n'
                        "foo===1;python_version=='3.8'\n"
                        "foo===2;python_version>='3.9'\nbar===5\n")
    text = constraints_tool.effective(
        str(upstream), {'oslo-versionedobjects': 'oslo.versionedobjects'
                                                 '===3.12.0',
                        'bar': None})
    lines = text.splitlines()
    assert lines[0].startswith('# Generated by tools/constraints.py')
    assert lines[1:] == ['# a comment', "foo===1;python_version=='3.8'",
                         "foo===2;python_version>='3.9'",
                         'oslo.versionedobjects===3.12.0']

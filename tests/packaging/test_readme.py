"""The README's commands are the ones CI and the packaging test run.

* The two commands at the top work on a fresh Debian 12 root shell, which
  has no sudo: neither they nor the scripts they run call sudo.
* CI (``.ci/run``) runs the README's test line as written: it takes it from
  the README, and ``.ci/run --print`` shows what it runs.
* "Install into an existing Heat" names the commands, paths and
  ``plugin_dirs`` that tests/packaging/test_wheel.py exercises.
"""

import glob
import os
import re
import subprocess

from tests.packaging import test_wheel

REPO_ROOT = test_wheel.REPO_ROOT


def readme():
    with open(os.path.join(REPO_ROOT, 'README.md')) as handle:
        return handle.read()


def first_bash_block():
    match = re.search(r'^```bash\n(.*?)^```', readme(), re.M | re.S)
    assert match, 'README.md has no bash block'
    return [line for line in match.group(1).splitlines() if line.strip()]


def command_of(line):
    return line.split('#', 1)[0].strip()


def section(title):
    match = re.search(r'^## %s\n(.*?)(?=^## )' % re.escape(title), readme(),
                      re.M | re.S)
    assert match, 'README.md has no section %r' % title
    return match.group(1)


def test_the_two_commands_need_no_sudo():
    commands = [command_of(line) for line in first_bash_block()]
    assert commands == ['bash tools/allinone.sh', 'bash tools/run-tests.sh']
    # Nor do the scripts they run (sudo only ever appears in messages).
    calls_sudo = re.compile(r'(^|[;&|(]|\$\(|\bthen|\bdo)\s*sudo\s')
    scripts = (glob.glob(os.path.join(REPO_ROOT, 'tools', '*.sh'))
               + glob.glob(os.path.join(REPO_ROOT, 'tools', 'lib', '*.sh'))
               + glob.glob(os.path.join(REPO_ROOT, 'allinone', '*.sh')))
    assert scripts
    for path in scripts:
        with open(path) as handle:
            for number, line in enumerate(handle, 1):
                # Quoted text (messages) and comments are not calls.
                code = re.sub(r'"[^"]*"|\'[^\']*\'', '', line)
                code = code.split('#', 1)[0]
                assert not calls_sudo.search(code), (
                    '%s:%d calls sudo: %s' % (path, number, line))


def test_ci_runs_the_readme_test_line_as_written():
    (line,) = [line for line in first_bash_block()
               if 'tools/run-tests.sh' in line]
    printed = subprocess.run(
        ['bash', os.path.join(REPO_ROOT, '.ci', 'run'), '--print'],
        capture_output=True, text=True, check=True, timeout=30).stdout
    assert printed == command_of(line) + '\n'


def test_install_section_is_what_the_wheel_test_does():
    text = section('Install into an existing Heat')
    for expected in (
            'python -m build',
            '-m pip install -c upper-constraints.txt '
            'dist/heat_capsule-*-py3-none-any.whl',
            'python3 tools/constraints.py --output upper-constraints.txt',
            '`<prefix>/lib/heat/heat_capsule/`',
            '`<prefix>/etc/heat-capsule/heat-capsule-engine.conf.sample`',
            'plugin_dirs = %s,<prefix>/lib/heat'
            % ','.join(test_wheel.HEAT_PLUGIN_DIRS),
            'tests/packaging/test_wheel.py'):
        assert expected in ' '.join(text.split()), expected

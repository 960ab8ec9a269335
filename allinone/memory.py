"""Memory of the all-in-one's services: RSS and PSS of each process tree.

    python3 memory.py NAME=PID [NAME=PID ...]

For every service, the process and all its descendants (PostgreSQL's
backends, uWSGI's workers) are summed. RSS counts a page shared by several
processes once per process; PSS divides it among them, so PSS adds up to
the real cost. Reads /proc only (``smaps_rollup``), so it needs no package
and works with the system Python.
"""

import os
import sys


def children_by_parent():
    """{parent pid: [child pids]} of every process, from /proc."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(')', 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(pid, children):
    """`pid` and all its descendants (children from children_by_parent)."""
    todo, seen = [pid], []
    while todo:
        current = todo.pop()
        seen.append(current)
        todo.extend(children.get(current, ()))
    return seen


def _rollup(pid):
    """(rss, pss) in KiB of one process; zeros if it is gone."""
    values = {'Rss:': 0, 'Pss:': 0}
    try:
        with open('/proc/%d/smaps_rollup' % pid) as handle:
            for line in handle:
                fields = line.split()
                if fields and fields[0] in values:
                    values[fields[0]] = int(fields[1])
    except OSError:
        pass
    return values['Rss:'], values['Pss:']


def measure(services):
    """[(name, processes, rss KiB, pss KiB)] for {name: pid}."""
    children = children_by_parent()
    rows = []
    for name, pid in services:
        pids = process_tree(pid, children)
        rss = pss = 0
        for member in pids:
            one_rss, one_pss = _rollup(member)
            rss += one_rss
            pss += one_pss
        rows.append((name, len(pids), rss, pss))
    return rows


def main(argv):
    services = []
    for arg in argv[1:]:
        name, _, pid = arg.partition('=')
        services.append((name, int(pid)))
    rows = measure(services)
    header = ('service', 'processes', 'RSS MiB', 'PSS MiB')
    print('%-22s %9s %10s %10s' % header)
    total = 0
    for name, count, rss, pss in rows:
        total += pss
        print('%-22s %9d %10.1f %10.1f'
              % (name, count, rss / 1024.0, pss / 1024.0))
    print('%-22s %9s %10s %10.1f' % ('total', '', '', total / 1024.0))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

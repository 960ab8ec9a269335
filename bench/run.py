"""Run the benchmarks and print a results table (markdown).

    python -m bench.run [--quick] [--only NAME ...]

Needs a running Docker engine and the local images (heat-capsule-images).
"""

import argparse
import os
import platform
import subprocess
import sys

from bench import stats
from tests.support import engine as engine_support


def machine():
    cpu = ''
    try:
        with open('/proc/cpuinfo') as handle:
            for line in handle:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    docker_version = subprocess.run(
        ['docker', 'version', '--format', '{{.Server.Version}}'],
        capture_output=True, text=True).stdout.strip()
    return ('%s, %d cores, %s, Python %s, Docker %s'
            % (cpu or platform.machine(), os.cpu_count(), platform.platform(),
               platform.python_version(), docker_version))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--quick', action='store_true',
                        help='fewer repetitions (a smoke run)')
    parser.add_argument('--only', nargs='*', default=None,
                        choices=['latency', 'api', 'memory', 'heat',
                                 'stability'])
    args = parser.parse_args(argv)
    wanted = set(args.only or ['latency', 'api', 'memory', 'heat',
                               'stability'])
    print('# heat-capsule benchmarks\n\nMachine: %s\n' % machine())
    engine_support.ensure_test_images()

    if 'latency' in wanted:
        from bench import capsule_latency
        from bench import create_trace
        # No quota, and the product's defaults (grace period, resync), not
        # the tests'.
        engine = create_trace.start_engine()
        try:
            rows, extra = capsule_latency.main(
                engine, runs=5 if args.quick else 20,
                rounds=1 if args.quick else 3,
                count=10 if args.quick else 50)
        finally:
            engine.stop()
            engine_support.remove_everything(engine.driver())
        print('## Capsule latency and throughput\n')
        print(stats.format_rows(rows))
        print('\n%s\n' % extra)
        sys.stdout.flush()
    if 'api' in wanted:
        from bench import api_latency
        print('## API latency by database size\n')
        print(api_latency.main(quick=args.quick))
        sys.stdout.flush()
    if 'memory' in wanted:
        from bench import engine_memory
        print('## Engine memory\n')
        print(engine_memory.main(count=20 if args.quick else 100))
        sys.stdout.flush()
    if 'heat' in wanted:
        try:
            from bench import heat_overhead
        except ImportError as exc:
            print('## Heat overhead\n\nnot available: %s\n' % exc)
        else:
            print('## Heat overhead\n')
            print(heat_overhead.main(quick=args.quick))
    if 'stability' in wanted:
        from bench import heat_stability
        print('## What the stability rule adds\n')
        print(heat_stability.main(quick=args.quick))
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""The images zun-tempest-plugin's capsule tests name, as local stand-ins.

The tests want ``cirros``, ``ubuntu`` and ``nginx`` ([container_service]
cirros_image, ubuntu_image, nginx_image). With no registry they are built
here from the project's busybox image (``heat-capsule-images``), each doing
what the test expects of the real one:

* cirros: its default command keeps running;
* ubuntu: ``/bin/bash`` runs a shell that, with no terminal, exits 0 at
  once (as the real bash does);
* nginx: serves ``/usr/share/nginx/html`` on port 80.

    python tools/tempest/standin_images.py [--prefix heat-capsule-tempest]

prints ``name=tag`` for each; existing tags are kept (idempotent). Runs
with the project's virtualenv (docker SDK); Docker's classic builder uses
the local busybox image, nothing is pulled.
"""

import argparse
import io
import sys

import docker

from heat_capsule.engine.runtime import images

STANDINS = {
    'cirros': [
        'CMD ["sh", "-c", "while true; do sleep 3600; done"]',
    ],
    'ubuntu': [
        'RUN printf \'#!/bin/sh\\nexec /bin/sh "$@"\\n\' > /bin/bash && '
        'chmod 755 /bin/bash',
        'CMD ["/bin/bash"]',
    ],
    'nginx': [
        'RUN mkdir -p /usr/share/nginx/html && '
        'echo "stand-in nginx" > /usr/share/nginx/html/index.html',
        'EXPOSE 80',
        'CMD ["httpd", "-f", "-p", "80", "-h", "/usr/share/nginx/html"]',
    ],
}
VERSION = '1'


def build(client, prefix, base=images.DEFAULT_BUSYBOX_IMAGE):
    """Builds the missing stand-ins; :returns: {name: tag}."""
    if not images.image_present(client, base):
        images.build_busybox_image(client, base)
    tags = {}
    for name, lines in sorted(STANDINS.items()):
        tag = '%s/%s:%s' % (prefix, name, VERSION)
        if not images.image_present(client, tag):
            dockerfile = '\n'.join(['FROM %s' % base] + lines) + '\n'
            client.images.build(fileobj=io.BytesIO(dockerfile.encode()),
                                tag=tag, pull=False, rm=True,
                                forcerm=True, labels={
                                    images.LABEL_IMAGE: 'tempest-' + name})
        tags[name] = tag
    return tags


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--prefix', default='heat-capsule-tempest')
    args = parser.parse_args(argv)
    client = docker.from_env(version='auto')
    for name, tag in build(client, args.prefix).items():
        print('%s=%s' % (name, tag))
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""The HOT examples the scenario tests create, read as text.

They live in the repository's ``templates/`` (each one also has an
end-to-end test in ``tests/e2e/test_templates.py``); a wheel installs them
under ``<prefix>/share/heat-capsule/templates`` (``setup.cfg``
``data_files``). Their containers name the image ``busybox``;
``read()`` puts ``[heat_capsule] image`` in its place, so a cloud whose
container hosts reach a registry under another name can run them.

tempest's configuration is imported where it is read, so the pure helpers
(``replace_image``) import without tempest, for the project's unit tests.
"""

import os
import re
import sys

TEMPLATE_IMAGE = 'busybox'
# The name alone: "busybox:1.36" or "busybox-extra" are other images.
_IMAGE_LINE = re.compile(r'(\bimage:[ \t]*)%s(?![\w.:/@-])'
                         % TEMPLATE_IMAGE)


def templates_dir():
    """The directory of the examples: ``[heat_capsule] templates_dir``,
    else the checkout's ``templates/`` (an editable install), else
    ``<sys.prefix>/share/heat-capsule/templates``.

    :raises FileNotFoundError: when none of them exists.
    """
    from tempest.config import CONF
    candidates = [CONF.heat_capsule.templates_dir] if (
        CONF.heat_capsule.templates_dir) else [
        os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), 'templates'),
        os.path.join(sys.prefix, 'share', 'heat-capsule', 'templates')]
    for path in candidates:
        if os.path.isdir(path):
            return path
    raise FileNotFoundError('no templates directory among %s; set '
                            '[heat_capsule] templates_dir' % candidates)


def names():
    """Names of the examples, without ``.yaml``, sorted."""
    return sorted(name[:-len('.yaml')] for name in os.listdir(templates_dir())
                  if name.endswith('.yaml'))


def read(name):
    """The text of ``<name>.yaml`` with its images set to
    ``[heat_capsule] image``. Heat parses the text itself, so HOT's
    version date stays as written."""
    with open(os.path.join(templates_dir(), name + '.yaml')) as handle:
        return with_image(handle.read())


def with_image(text):
    """``text`` with every ``image: busybox`` naming the configured image."""
    from tempest.config import CONF
    return replace_image(text, CONF.heat_capsule.image)


def replace_image(text, image):
    """``text`` with each ``image: busybox`` (the whole name, any spacing)
    naming ``image`` instead; other images and other keys are left."""
    return _IMAGE_LINE.sub(lambda m: m.group(1) + image, text)

"""The Heat side of heat-capsule: the ``OS::Zun::Capsule`` resource type.

Everything in this package runs inside heat-engine. It may import Heat,
python-zunclient and the oslo libraries that Heat already brings, and nothing
else. In particular it must NOT import ``heat_capsule.engine`` (or webob,
sqlalchemy, docker): the resource talks to a capsule service only through
python-zunclient and the Keystone catalog (service type ``container``), so it
works the same against the bundled engine and against a real Zun.

Modules:

``template``
    Names (properties, statuses, client name, microversion) and the one pure
    function that maps the resource properties onto a Zun capsule template.
    No Heat or zunclient imports, so it is trivially unit-testable.
``docker_checks``
    What Docker refuses in a container (``heat_capsule.bounds``, the pure
    module the bundled engine's validation shares), for ``validate()``.
``client``
    The ``zun_capsule`` Heat client plugin (``heat.clients`` entry point) and
    the ``zun.capsule`` custom constraint (``heat.constraints`` entry point).
``capsule``
    The resource class, ``resource_mapping()`` and
    ``available_resource_mapping()``; the ``plugin_dirs`` drop-in in the
    repository's ``resources/`` directory re-exports the latter.
"""

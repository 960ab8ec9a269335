"""The Heat side of heat-capsule: the ``OS::Zun::Capsule`` resource type.

Everything in this package runs inside heat-engine. It may import Heat,
python-zunclient and the oslo libraries that Heat already brings, and nothing
else. In particular it must NOT import ``heat_capsule.engine`` (or webob,
sqlalchemy, docker): the resource talks to a capsule service only through
python-zunclient and the Keystone catalog (service type ``container``), so it
works the same against the bundled engine and against a real Zun.

Modules (beside the pure ``heat_capsule.names``, ``.bounds`` and
``.textutils`` it shares with the bundled engine):

``template``
    Names (properties, container keys, client name, microversion), the one
    pure function that maps the resource properties onto a Zun capsule
    template, and the pairing of the template's containers with the
    service's (``relate_containers``, ``template_named``). No Heat or
    zunclient imports, so it is trivially unit-testable.
``rules``
    The rules that span properties (``validate()``), pure.
``docker_checks``
    What Docker refuses in a container (``heat_capsule.bounds``, the pure
    module the bundled engine's validation shares), for ``rules``.
``verdict``
    When the resource is complete, waiting or failed (pure): ``judge()``,
    the fallback stability clock, the containers the health gate waits for.
``features``
    The engine's extensions: what the service offers, what a template
    uses, and the status-reason length.
``container_properties``
    The property schema of one container (Heat declarations).
``client``
    The ``zun_capsule`` Heat client plugin (``heat.clients`` entry point) and
    the ``zun.capsule`` custom constraint (``heat.constraints`` entry point).
``polling``
    Requests and polls of the service (unreachable service, the stack's
    timeout), a mixin of the resource.
``attributes``
    Reading the capsule for the attributes and for failure reasons (the
    containers' last log lines), a mixin of the resource.
``suspend``, ``endpoints``
    Stack suspend/resume (the engine's pause) and the ``endpoints``
    attribute.
``capsule``
    The resource class, ``resource_mapping()`` and
    ``available_resource_mapping()``; the ``plugin_dirs`` drop-in in the
    repository's ``resources/`` directory re-exports the latter.
"""

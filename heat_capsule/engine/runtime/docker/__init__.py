"""The Docker side of the runtime, on the docker SDK: ``driver.DockerDriver``.

Modules (``driver`` is the only one that talks to Docker by itself; the
mixins are parts of its class; the rest are pure):

``driver``
    ``DockerDriver``: the connection, networks, images, init and app
    containers, observing, pausing, events; what a capsule is on Docker
    (module docstring).
``sandbox``, ``volumes``, ``removal``, ``logs``
    Mixins of ``DockerDriver``: the sandbox (namespaces, ports,
    addresses), the capsule volumes, stopping and removing, the one log
    reader.
``naming``
    Names of the engine's Docker objects.
``state``
    Docker -> engine: inspect and list answers as ``spec.ContainerState``.
``config``
    Engine -> Docker: restart policy, healthcheck, exposed ports; Docker's
    refusals worded.
``membership``
    Which containers belong in a capsule's current sandbox.
``events``
    The event actions (declared once) and the event stream.
"""

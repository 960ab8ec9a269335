"""The runtime: what makes a capsule real on a Docker engine.

Modules (which one owns what):

``spec``
    The plain data the reconciler hands to the driver (``CapsuleSpec``,
    ``ContainerState``...), the labels, the roles, the runtime errors.
``reconciler``
    The sync loop: ties the database (desired state) to Docker (actual
    state), one ``sync(capsule_uuid)`` per capsule, fed by the API, Docker's
    events and a periodic resync.
``status``
    The status rules, pure: a capsule's status from its containers'
    states (``derive_status``), what a container row records, whether a
    stopped container is restarted (``restart_wanted``), ``docker ps``'s
    wording of a status.
``create_path``
    The create, one step per sync (``CreateSteps``, a mixin of the
    reconciler), and its first pass with Docker's waits overlapped.
``stopping``, ``freezer``
    Graceful delete (stop signal, grace period, SIGKILL) and pause.
``docker``
    The Docker side, on the docker SDK: ``docker.driver.DockerDriver`` and
    the pure translations around it (see its package docstring).
``networks``, ``ports``, ``security``, ``limits``
    Project networks, published ports, capabilities, PIDs and log limits
    of what the driver makes.
``images``
    The engine's own sandbox image (and the small test/demo images).
``workqueue``
    The keyed queue of capsules to sync.

Translations live with their owners: template -> rows -> ``spec`` in
``engine.records``, what the API shows in ``engine.views``.
"""

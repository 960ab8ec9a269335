"""The runtime: what makes a capsule real on a Docker engine.

``spec`` holds the plain data the reconciler hands to the driver,
``docker_driver`` talks to Docker through the docker SDK, ``images`` builds
the engine's own sandbox image (and the small test/demo images), and
``reconciler`` ties the database (desired state) to Docker (actual state).
"""

"""The tempest plugin of heat-capsule (``tempest.test_plugins`` entry point).

Scenario tests that drive ``OS::Zun::Capsule`` through Heat's REST API and
check the result in the container service (``GET /v1/capsules``), with
tempest's own credentials and REST client. They need only a cloud with
Heat (the resource type installed) and a ``container`` endpoint in the
Keystone catalog: the bundled all-in-one, a devstack, or a real Zun.

Like ``heat_capsule.heat``, nothing here imports ``heat_capsule.engine``
(or Heat): the plugin runs in tempest's own virtualenv.

Modules:

``config``
    The ``[heat_capsule]`` option group and ``[service_available]
    heat_capsule``.
``plugin``
    ``HeatCapsuleTempestPlugin``, what tempest loads.
``clients``
    REST clients for Heat's stack API and the capsule API, on tempest's
    ``RestClient``.
``templates``
    Finds the HOT examples (``templates/``) and points their images at
    ``[heat_capsule] image``.
``tests/scenario``
    The tests.
"""

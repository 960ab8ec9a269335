"""The wire format: every field name and format of a response, in one place.

Each module renders one kind of resource from database rows (or what the
runtime read from Docker) and declares the response schema of its views
beside them, which the OpenAPI document serves (handlers/openapi.py) and
tests/unit/test_views.py holds them to:

``capsule``
    Capsules and their containers (both microversion forms), addresses.
``volume``
    ``/v1/volumes`` and a capsule's ``/volumes``.
``endpoint``
    A capsule's ``/endpoints`` (its published ports).
``quota``
    Quota sets, with or without usages.
``error``
    Zun's error envelope.
"""

"""The bundled capsule engine: Zun's capsule API backed by a Docker engine.

Nothing under ``heat_capsule.heat`` may import this package: the Heat side runs
inside heat-engine, which has neither the web framework, the DB layer nor the
docker SDK.
"""

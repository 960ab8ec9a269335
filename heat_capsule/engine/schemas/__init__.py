"""JSON schemas for the engine's request bodies, as plain dicts."""

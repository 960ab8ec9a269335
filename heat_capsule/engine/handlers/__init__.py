"""API handlers: one module per resource, one plain function per call."""

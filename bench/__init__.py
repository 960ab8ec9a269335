"""Benchmarks: the engine against raw Docker doing the same work."""

"""Benchmarks: `make bench` (python -m bench). Each module has run(app) -> list of result lines."""

"""Benchmarks: `make bench` (`python -m bench`). Every figure is a ratio against a floor measured
in the same run, printed as a table and written to docs/PERFORMANCE.md.

Sections (each a module): cold (fresh-process cold starts), warm (handler latency against the
bare boto3 calls), scale (10 vs 100,000 users in a tenant), hashing (Argon2id cost), cost (the
dollars-per-million model built from the measurements). Nothing here is part of the pytest suite.
"""

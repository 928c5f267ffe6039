"""Benchmarks: `make bench` (`python -m bench`). Every figure is a ratio against a floor measured
in the same run, printed as a table and written to docs/PERFORMANCE.md.

Sections (each a module): first (a restored copy's first request against the same request warm,
by counted function calls), cold (init in fresh processes against the boto3 floor and the stack
alone), warm (handler latency against the store's calls alone), scale (a few users against many in
one tenant). Nothing here is part of the pytest suite.
"""

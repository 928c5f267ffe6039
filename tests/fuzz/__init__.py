"""Fuzzing from the OpenAPI document (docs/openapi.json) with schemathesis.

`make fuzz` (`python -m tests.fuzz`) starts the local runner and sends at least 1,000 generated
requests over every operation, valid and invalid data, plus stateful runs that follow the links
between operations; tests/security/test_fuzz.py runs a smaller fixed-seed pass in process.
"""

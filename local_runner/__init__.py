"""The local runner: the API of template.yaml on loopback, with moto in place of AWS (no Docker)."""

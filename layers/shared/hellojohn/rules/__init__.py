"""The rules: one module per capability. They import the store and the adapters, never the edge."""

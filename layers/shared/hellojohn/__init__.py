"""HelloJohn Users: the shared layer (auth, tenants, validation, rules and the store)."""

"""The HTTP edge: the resolver, error mapping, authentication, CORS and idempotency."""

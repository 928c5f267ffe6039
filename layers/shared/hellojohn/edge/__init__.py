"""The HTTP edge: the resolver, error mapping, authentication, CORS, idempotency and the views."""

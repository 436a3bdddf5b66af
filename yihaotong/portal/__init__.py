"""The public site: submit, track, rate, the public knowledge base (views only, no models)."""

"""Open311 GeoReport v2: services, service definitions and requests, in JSON and XML."""

"""Upstream transfers from the city platforms: inbound API, batch import, status feed and push back."""

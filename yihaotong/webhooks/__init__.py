"""Outbound webhooks: subscriptions, HMAC-SHA256 signed deliveries with retries and a delivery log."""

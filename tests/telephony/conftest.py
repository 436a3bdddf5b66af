from __future__ import annotations

import pytest

from yihaotong.accounts.actions import do_issue_token


@pytest.fixture
def token(cast):
    """The raw API token of the telephony server's service account (the cast's integration user)."""
    _row, raw = do_issue_token(user=cast.integration, name="telephony")
    return raw


@pytest.fixture
def hook(client, token):
    """POST one event to the webhook as the telephony server; return the response."""

    def post(**event):
        return client.post(
            "/api/v1/telephony/events",
            event,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    return post

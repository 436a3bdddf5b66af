"""Open311 settings: Django settings first, then the environment, then the defaults.

``OPEN311_JURISDICTION_ID``  the jurisdiction this endpoint serves (a client that sends another one is refused)
``OPEN311_SERVICE_NOTICE``   the notice returned with each request
``OPEN311_DEFAULT_REQUEST_TYPE``  the request type of a report that does not say (attribute ``request_type``)
``OPEN311_CONTACT``, ``OPEN311_KEY_SERVICE``  what discovery tells clients (whom to ask, how to get a key)
"""

from __future__ import annotations

import os

from django.conf import settings

DEFAULTS = {
    "OPEN311_JURISDICTION_ID": "qingyang.chengdu.gov.cn",
    "OPEN311_SERVICE_NOTICE": "诉求已收到，中心受理后按办理时限派单办理。",
    "OPEN311_DEFAULT_REQUEST_TYPE": "help",
    "OPEN311_CONTACT": "青羊区政务服务一号通热线",
    "OPEN311_KEY_SERVICE": "API 密钥由系统管理员签发，请联系热线中心。",
}

# When this endpoint's services or behaviour last changed in a way clients should notice (discovery).
DISCOVERY_CHANGESET = "2026-11-26T00:00:00Z"

# The spec: lists default to (and may not span more than) 90 days and return at most 1000 requests.
WINDOW_DAYS = 90
MAX_REQUESTS = 1000


def setting(name: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name) or DEFAULTS[name]
    return str(value)


def jurisdiction_id() -> str:
    return setting("OPEN311_JURISDICTION_ID")


def service_notice() -> str:
    return setting("OPEN311_SERVICE_NOTICE")


def default_request_type() -> str:
    return setting("OPEN311_DEFAULT_REQUEST_TYPE")

"""The one NinjaAPI: routers of every app and the single mapping of errors to RFC 7807 problems."""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from yihaotong.core.api import AUTH, problem
from yihaotong.core.errors import DomainError

api = NinjaAPI(
    title="一号通 Yihaotong API",
    version="1.0.0",
    description=(
        "The district citizen-service hotline platform. Staff use their session (with the CSRF token); "
        "integrations use `Authorization: Bearer <token>` of a service account. Errors are RFC 7807 "
        "problem documents."
    ),
    auth=AUTH,
    urls_namespace="api-v1",
)

PROBLEM = "application/problem+json"


def _problem_response(request, body: dict, status: int):
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM
    return response


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return _problem_response(
        request, problem(exc.status, exc.code, exc.title, exc.message, exc.errors, **exc.extra), exc.status
    )


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload", "form")]
        errors.setdefault(".".join(loc) or "__all__", []).append(err.get("msg", "invalid"))
    return _problem_response(
        request, problem(422, "invalid", "Invalid input", "The request has invalid fields.", errors), 422
    )


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return _problem_response(
        request, problem(401, "unauthenticated", "Unauthenticated", "Log in or send a valid API token."), 401
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return _problem_response(request, problem(404, "not_found", "Not found", "No such resource."), 404)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _problem_response(request, problem(exc.status_code, "http_error", "Error", str(exc)), exc.status_code)


def _register() -> None:
    from yihaotong.accounts.api import router as accounts_router
    from yihaotong.analytics.api import router as analytics_router
    from yihaotong.channels.api import router as transfers_router
    from yihaotong.directory.api import router as directory_router
    from yihaotong.feedback.api import public_router as feedback_public_router
    from yihaotong.feedback.api import router as feedback_router
    from yihaotong.intake.api import router as intake_router
    from yihaotong.kb.api import public_router as kb_public_router
    from yihaotong.kb.api import router as kb_router
    from yihaotong.letters.api import router as letters_router
    from yihaotong.notifications.api import inbox_router as notifications_router
    from yihaotong.notifications.api import router as sms_router
    from yihaotong.portal.api import router as portal_router
    from yihaotong.routing.api import router as routing_router
    from yihaotong.telephony.api import router as telephony_router
    from yihaotong.webhooks.api import router as webhooks_router
    from yihaotong.workorders.api import router as orders_router
    from yihaotong.worktime.api import router as worktime_router

    api.add_router("/orders", orders_router, tags=["work orders"])
    api.add_router("/transfers", transfers_router, tags=["upstream transfers"])
    api.add_router("/webhooks", webhooks_router, tags=["webhooks"])
    api.add_router("/contacts", intake_router, tags=["intake"])
    api.add_router("/directory", directory_router, tags=["directory"])
    api.add_router("/calendar", worktime_router, tags=["calendar"])
    api.add_router("/accounts", accounts_router, tags=["accounts"])
    api.add_router("/routing", routing_router, tags=["intake intelligence"])
    api.add_router("/kb", kb_router, tags=["knowledge base"])
    api.add_router("/public/kb", kb_public_router, tags=["public portal"])
    api.add_router("/public/requests", portal_router, tags=["public portal"])
    api.add_router("/sms", sms_router, tags=["notifications"])
    api.add_router("/notifications", notifications_router, tags=["notifications"])
    api.add_router("/feedback", feedback_router, tags=["third-party review and publication"])
    api.add_router("/public/feedback", feedback_public_router, tags=["public portal"])
    api.add_router("/telephony", telephony_router, tags=["telephony"])
    api.add_router("/letters", letters_router, tags=["letters"])
    api.add_router("/analytics", analytics_router, tags=["analytics"])


_register()

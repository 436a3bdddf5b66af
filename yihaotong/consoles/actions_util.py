"""One way for console views to run an action: parse a form, call the action, map domain errors.

Views never write; they call the same ``do_…`` actions as the API. A domain error becomes form errors
(field errors in place, the typed input kept) or a message; nothing is half-written because the action
runs in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404

from yihaotong.core.errors import DomainError, Invalid, NotFound, NotPermitted


def apply_domain_error(form: forms.Form | None, request, exc: DomainError) -> None:
    """Put a domain error on the form (by field where it names fields) or in the messages.

    What the reader sees is in their language (``exc.localized()``); ``exc.message`` stays English for the API.
    """
    if isinstance(exc, NotFound):
        raise Http404(exc.localized()) from exc
    if isinstance(exc, Invalid) and form is not None and exc.errors:
        for field, errors in exc.localized_errors().items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
        return
    if isinstance(exc, NotPermitted) and form is None:
        raise PermissionDenied(exc.localized()) from exc
    if form is not None:
        form.add_error(None, exc.localized())
    else:
        messages.error(request, exc.localized())


def run_action(request, form: forms.Form | None, call: Callable[[dict], Any], *, success: str = "") -> Any | None:
    """Validate ``form`` (if any) and run ``call(cleaned_data)``; return its result, or None on failure."""
    if form is not None and not form.is_valid():
        return None
    try:
        result = call(form.cleaned_data if form is not None else {})
    except DomainError as exc:
        apply_domain_error(form, request, exc)
        return None
    if success:
        messages.success(request, success)
    return result

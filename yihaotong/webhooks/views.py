"""The system admin's webhook screens: subscriptions and their delivery log (with re-send)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from yihaotong.core.api import paginate
from yihaotong.core.errors import DomainError, Invalid

from . import actions as A
from .access import can_manage
from .models import EVENT_KINDS, Delivery, DeliveryState, Subscription


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    url = forms.CharField(label=gettext_lazy("URL"), max_length=500)
    secret = forms.CharField(
        label=gettext_lazy("Secret"),
        max_length=128,
        required=False,
        help_text=gettext_lazy("16 to 128 characters; leave blank to keep the current one (or make one)."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(EVENT_KINDS.items()),
        help_text=gettext_lazy("None ticked: every event."),
    )
    public_only = forms.BooleanField(label=gettext_lazy("Public events only"), required=False)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


def _admin(request):
    if not can_manage(request.user):
        raise PermissionDenied(_("Only system admins manage webhooks."))


def _save(request, form, sub_id):
    if not form.is_valid():
        return None
    try:
        return A.do_save_subscription(request.user, sub_id, **form.cleaned_data)
    except DomainError as exc:
        if isinstance(exc, Invalid):
            for field, errors in exc.localized_errors().items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            form.add_error(None, exc.localized())
    return None


@login_required
@require_http_methods(["GET", "POST"])
def subscriptions(request):
    _admin(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST":
        sub = _save(request, form, None)
        if sub is not None:
            messages.success(request, _("Subscription created. Its secret: %(secret)s") % {"secret": sub.secret})
            return redirect("webhooks:subscription", sub.pk)
    subs = Subscription.objects.select_related("platform").order_by("name", "id")
    return render(
        request, "webhooks/subscriptions.html", {"form": form, "subs": subs}, status=422 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def subscription(request, pk: int):
    _admin(request)
    sub = Subscription.objects.select_related("platform").filter(pk=pk).first()
    if sub is None:
        raise Http404(_("No such subscription."))
    initial = {k: getattr(sub, k) for k in ("name", "url", "events", "public_only", "is_active")}
    form = SubscriptionForm(request.POST or None, initial=initial) if not sub.platform_id else None
    if request.method == "POST" and form is not None and _save(request, form, sub.pk) is not None:
        messages.success(request, _("Subscription saved."))
        return redirect("webhooks:subscription", sub.pk)
    state = request.GET.get("state", "")
    qs = Delivery.objects.filter(subscription=sub).order_by("-id")
    if state in DeliveryState.values:
        qs = qs.filter(state=state)
    else:
        state = ""
    deliveries, meta = paginate(qs, request.GET.get("page"), 50)
    context = {
        "sub": sub,
        "form": form,
        "deliveries": deliveries,
        "meta": meta,
        "state": state,
        "states": DeliveryState.choices,
        "kinds": EVENT_KINDS,
    }
    return render(
        request, "webhooks/subscription.html", context, status=422 if form is not None and form.errors else 200
    )


@login_required
@require_POST
def resend(request, pk: int):
    _admin(request)
    try:
        delivery = A.do_resend_delivery(request.user, pk)
    except DomainError as exc:
        raise Http404(exc.localized()) from exc
    messages.success(request, _("Delivery %(id)s queued again.") % {"id": delivery.pk})
    return redirect("webhooks:subscription", delivery.subscription_id)

"""Issue and revoke Open311 API keys in the admin; both go through the actions (the key is shown once)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from yihaotong.core.admin_mixins import ReadOnlyAdmin
from yihaotong.core.errors import DomainError

from .actions import do_issue_api_key, do_revoke_api_key
from .models import ApiClient, ServiceRequest


class IssueKeyForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = ["name", "note"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "key_prefix", "account", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "note", "key_prefix"]
    actions = ["revoke"]
    readonly_fields = [
        "name",
        "note",
        "key_prefix",
        "account",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = IssueKeyForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["name", "note"] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        try:
            client, raw = do_issue_api_key(request.user, name=form.cleaned_data["name"], note=form.cleaned_data["note"])
        except DomainError as exc:
            raise PermissionDenied(exc.localized()) from exc
        obj.pk = client.pk
        self.message_user(
            request,
            _("API key for %(name)s (shown once, copy it now): %(key)s") % {"name": client.name, "key": raw},
            messages.WARNING,
        )

    def save_related(self, request, form, formsets, change):
        pass

    @admin.action(description=_("Revoke the keys of the selected clients"))
    def revoke(self, request, queryset):
        try:
            for client in queryset:
                do_revoke_api_key(request.user, client.pk)
        except DomainError as exc:
            self.message_user(request, exc.localized(), messages.ERROR)
            return
        self.message_user(request, _("Revoked."), messages.SUCCESS)


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    list_display = ["order", "client", "service_code", "received_at"]
    list_filter = ["client"]
    search_fields = ["order__number", "service_code"]
    exclude = ["email", "device_id", "account_id"]

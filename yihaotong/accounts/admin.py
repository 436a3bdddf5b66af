from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .actions import do_issue_token, do_revoke_token
from .models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "unit", "is_service", "is_active", "is_staff"]
    list_filter = ["groups", "is_service", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "unit__name"]
    autocomplete_fields = ["unit"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Yihaotong"), {"fields": ["display_name", "phone", "unit", "is_service"]}),
    )
    actions = ["issue_token"]

    @admin.action(description=_("Issue an API token (service accounts)"))
    def issue_token(self, request, queryset):
        for user in queryset.filter(is_service=True):
            _token, raw = do_issue_token(user=user, name=f"admin-{user.username}")
            self.message_user(
                request, _("Token for %(u)s (shown once): %(t)s") % {"u": user, "t": raw}, messages.WARNING
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            do_revoke_token(token_id=token.pk)

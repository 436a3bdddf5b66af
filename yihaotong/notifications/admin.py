from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from yihaotong.core.admin_mixins import ReadOnlyAdmin

from .actions import do_retry_outbox
from .models import Outbox, OutboxState, SmsOptOut


@admin.register(Outbox)
class OutboxAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "channel",
        "recipient_unit",
        "recipient_role",
        "masked_address",
        "state",
        "attempts",
        "subject",
    ]
    list_filter = ["state", "channel", "kind"]
    exclude = ["recipient_address"]
    readonly_fields = ["address", "last_error", "next_attempt_at", "provider_ref", "attempts", "sent_at"]
    actions = ["retry"]

    @admin.display(description=_("phone or email (masked)"))
    def address(self, obj):
        return obj.masked_address

    @admin.action(description=_("Retry the selected failed notifications"))
    def retry(self, request, queryset):
        n = do_retry_outbox(queryset.filter(state=OutboxState.FAILED).values_list("pk", flat=True))
        from .delivery import kick_delivery

        kick_delivery()
        self.message_user(
            request,
            ngettext("%(n)d notification queued again.", "%(n)d notifications queued again.", n) % {"n": n},
            messages.SUCCESS,
        )


@admin.register(SmsOptOut)
class SmsOptOutAdmin(ReadOnlyAdmin):
    list_display = ["phone_hash", "source", "at"]
    list_filter = ["source"]

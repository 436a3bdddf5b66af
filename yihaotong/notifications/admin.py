from django.contrib import admin

from yihaotong.core.admin_mixins import ReadOnlyAdmin

from .models import Outbox


@admin.register(Outbox)
class OutboxAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "channel", "recipient_unit", "recipient_role", "state", "subject"]
    list_filter = ["channel", "state", "kind"]
    exclude = ["recipient_address"]

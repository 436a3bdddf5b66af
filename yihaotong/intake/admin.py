from django.contrib import admin

from yihaotong.core.admin_mixins import ReadOnlyAdmin

from .models import Contact


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "channel", "outcome", "summary", "order"]
    list_filter = ["outcome", "channel"]
    search_fields = ["summary"]
    exclude = ["phone", "name"]

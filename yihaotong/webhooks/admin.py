from django.contrib import admin

from yihaotong.core.admin_mixins import ReadOnlyAdmin

from .models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """Subscriptions change on the webhook screens (/webhooks/) and the API, through the actions."""

    list_display = ["name", "url", "public_only", "platform", "is_active"]
    exclude = ["secret"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "subscription", "kind", "order_number", "state", "attempts", "last_status", "next_attempt_at"]
    list_filter = ["state", "subscription"]
    exclude = ["body"]

"""Routes of the handling unit's screens (appended to the ``consoles`` namespace by consoles/urls.py)."""

from django.urls import path

from . import views_unit as views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/sign/", views.inbox_sign, name="inbox_sign"),
    path("orders/<int:pk>/unit-panel/", views.unit_panel, name="unit_panel"),
    path(
        "orders/<int:pk>/unit-panel/extension-preview/",
        views.extension_preview,
        name="unit_extension_preview",
    ),
    path("orders/<int:pk>/unit/<slug:action>/", views.unit_action, name="unit_action"),
    path("orders/<int:pk>/attachments/", views.attachments_panel, name="attachments_panel"),
    path("orders/<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment_download"),
]

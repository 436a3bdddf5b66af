"""Routes of the centre's screens (names in the ``consoles`` namespace; appended by urls.py)."""

from django.urls import path

from . import views_centre as views

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("review/", views.review, name="review"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("supervision/", views.supervision, name="supervision"),
    path("orders/<int:pk>/centre-panel/", views.centre_panel, name="centre_panel"),
    path("orders/<int:pk>/related/", views.related_panel, name="related_panel"),
    path("orders/<int:pk>/centre/dispatch/preview/", views.dispatch_preview, name="dispatch_preview"),
    path("orders/<int:pk>/centre/<slug:action>/", views.centre_action, name="centre_action"),
]

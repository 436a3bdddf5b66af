from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.subscriptions, name="subscriptions"),
    path("<int:pk>/", views.subscription, name="subscription"),
    path("deliveries/<int:pk>/resend", views.resend, name="resend"),
]

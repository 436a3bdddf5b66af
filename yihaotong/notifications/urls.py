from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell", views.notification_bell, name="bell"),
    path("read-all", views.notification_read_all, name="read_all"),
    path("<int:pk>/read", views.notification_read, name="read"),
    path("<int:pk>/open", views.notification_open, name="open"),
]

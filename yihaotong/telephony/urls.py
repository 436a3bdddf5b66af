from django.urls import path

from . import views

app_name = "telephony"

urlpatterns = [
    path("calls/", views.calls, name="calls"),
    path("calls/<int:pk>/called-back", views.called_back, name="called_back"),
    path("pop", views.pop, name="pop"),
]

from django.urls import path

from . import views

app_name = "channels"

urlpatterns = [
    path("", views.transfers, name="transfers"),
    path("batches/<int:pk>/", views.batch, name="batch"),
    path("batches/<int:pk>/progress", views.batch_progress, name="batch_progress"),
    path("batches/<int:pk>/report.csv", views.batch_report, name="batch_report"),
]

from django.urls import path, register_converter

from . import views


class _Month:
    regex = r"\d{4}-\d{2}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(_Month, "month")

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("unit/", views.unit_dashboard, name="unit"),
    path("orders/", views.figure_orders, name="orders"),
    path("export.<str:fmt>", views.export, name="export"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("reports/", views.reports, name="reports"),
    path("reports/<month:month>/", views.report_page, name="report"),
    path("reports/<month:month>.xlsx", views.report_xlsx, name="report_xlsx"),
    path("settings/", views.settings_view, name="settings"),
]

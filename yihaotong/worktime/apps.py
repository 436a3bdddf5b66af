from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorktimeConfig(AppConfig):
    name = "yihaotong.worktime"
    label = "worktime"
    verbose_name = _("Working-day calendar")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the calendar system check)

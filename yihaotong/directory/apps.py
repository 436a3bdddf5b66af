from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "yihaotong.directory"
    label = "directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import models
        from .policy import invalidate_references

        for model in (models.RequestType, models.Urgency, models.Category, models.Unit):
            post_save.connect(invalidate_references, sender=model, dispatch_uid=f"refs-save-{model.__name__}")
            post_delete.connect(invalidate_references, sender=model, dispatch_uid=f"refs-delete-{model.__name__}")

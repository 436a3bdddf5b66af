from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yihaotong.core"
    label = "core"

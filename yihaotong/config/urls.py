from django.contrib import admin
from django.urls import include, path

from .api import api
from .views import healthz

urlpatterns = [
    path("", include("yihaotong.consoles.urls")),
    path("healthz", healthz, name="healthz"),
    path("portal/", include("yihaotong.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("analytics/", include("yihaotong.analytics.urls")),
    path("telephony/", include("yihaotong.telephony.urls")),
    path("letters/", include("yihaotong.letters.urls")),
]

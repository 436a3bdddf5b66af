from django.contrib import admin
from django.urls import include, path

from yihaotong.feedback import urls_public as feedback_public

from .api import api
from .views import healthz

urlpatterns = [
    path("", include("yihaotong.consoles.urls")),
    path("healthz", healthz, name="healthz"),
    path("feedback/", include("yihaotong.feedback.urls")),
    path("portal/cases/", include(feedback_public.cases)),
    path("portal/reviews/", include(feedback_public.reviews)),
    path("portal/", include("yihaotong.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("yihaotong.open311.urls")),
    path("transfers/", include("yihaotong.channels.urls")),
    path("webhooks/", include("yihaotong.webhooks.urls")),
    path("analytics/", include("yihaotong.analytics.urls")),
    path("telephony/", include("yihaotong.telephony.urls")),
    path("letters/", include("yihaotong.letters.urls")),
    path("notifications/", include("yihaotong.notifications.urls")),
]

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("submit/", views.submit, name="submit"),
    path("submit/done/", views.submitted, name="submitted"),
    path("track/", views.track, name="track"),
    path("track/<str:number>/", views.order_page, name="order"),
    path("track/<str:number>/rate/", views.rate, name="rate"),
    path("kb/", views.kb_index, name="kb"),
    path("kb/suggest/", views.kb_suggest, name="kb_suggest"),
    path("kb/<int:pk>/", views.kb_article, name="kb_article"),
    path("kb/<int:pk>/helpful/", views.kb_vote, name="kb_vote"),
    path("sms/<str:token>/", views.sms_optout, name="sms_optout"),
]

from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("reviews/", views.sessions, name="sessions"),
    path("reviews/candidates/", views.candidates, name="candidates"),
    path("reviews/roster/", views.roster, name="roster"),
    path("reviews/<int:pk>/", views.session, name="session"),
    path("reviews/<int:pk>/<slug:name>/", views.session_action, name="session_action"),
    path("cases/<int:pk>/", views.case_file, name="case_file"),
    path("rectifications/", views.rectifications, name="rectifications"),
    path("rectifications/<int:pk>/", views.rectification, name="rectification"),
    path("publications/", views.publications, name="publications"),
    path("publications/<int:pk>/", views.publication, name="publication"),
    path("policy/", views.policy, name="policy"),
]

from django.urls import path

from . import public_views as views

cases = (
    [path("", views.cases, name="list"), path("<int:pk>/", views.case, name="detail")],
    "portal_cases",
)
reviews = (
    [path("", views.reviews, name="list"), path("<int:pk>/", views.review, name="detail")],
    "portal_reviews",
)

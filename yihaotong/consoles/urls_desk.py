"""Routes of the intake desk (appended to the ``consoles`` namespace by urls.py)."""

from django.urls import path

from . import views_desk

urlpatterns = [
    path("desk/", views_desk.desk, name="desk"),
    path("desk/history", views_desk.desk_history, name="desk_history"),
    path("desk/street", views_desk.desk_street, name="desk_street"),
    path("desk/similar", views_desk.desk_similar, name="desk_similar"),
    path("desk/suggest", views_desk.desk_suggest, name="desk_suggest"),
    path("desk/kb", views_desk.desk_kb, name="desk_kb"),
    path("desk/kb/<int:pk>", views_desk.desk_kb_article, name="desk_kb_article"),
]

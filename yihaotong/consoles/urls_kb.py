"""Routes of the knowledge-base console (appended to the ``consoles`` namespace by urls.py)."""

from django.urls import path

from . import views_kb

urlpatterns = [
    path("kb/", views_kb.kb_list, name="kb"),
    path("kb/new", views_kb.kb_new, name="kb_new"),
    path("kb/import", views_kb.kb_import, name="kb_import"),
    path("kb/export", views_kb.kb_export, name="kb_export"),
    path("kb/gaps", views_kb.kb_gaps, name="kb_gaps"),
    path("kb/dashboard", views_kb.kb_dashboard, name="kb_dashboard"),
    path("kb/vocabulary", views_kb.kb_vocabulary, name="kb_vocabulary"),
    path("kb/<int:pk>/", views_kb.kb_article, name="kb_article"),
    path("kb/<int:pk>/edit", views_kb.kb_edit, name="kb_edit"),
    path("kb/<int:pk>/propose", views_kb.kb_propose, name="kb_propose"),
    path("kb/<int:pk>/move/<str:move>", views_kb.kb_move, name="kb_move"),
    path("kb/<int:pk>/diff", views_kb.kb_diff, name="kb_diff"),
]

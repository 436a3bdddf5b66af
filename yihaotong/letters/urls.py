from django.urls import path

from . import views

app_name = "letters"

urlpatterns = [
    path("", views.letter_list, name="list"),
    path("<int:pk>/", views.letter_detail, name="detail"),
    path("<int:pk>/record", views.letter_record, name="record"),
    path("<int:pk>/dismiss", views.letter_dismiss, name="dismiss"),
    path("<int:pk>/files/<int:file_pk>", views.letter_file, name="file"),
]

from django.urls import path

from anmin.missing import views

app_name = "missing"

urlpatterns = [
    path("missing/", views.case_list, name="list"),
    path("missing/new/", views.case_new, name="new"),
    path("missing/from-incident/<int:pk>/", views.case_from_incident, name="from-incident"),
    path("missing/<int:pk>/", views.case_detail, name="detail"),
    path("missing/<int:pk>/photo/", views.case_photo, name="photo"),
    path("missing/<int:pk>/clues/", views.case_clue, name="clue"),
    path("missing/<int:pk>/found/", views.case_found, name="found"),
    path("missing/<int:pk>/close/", views.case_close, name="close"),
]

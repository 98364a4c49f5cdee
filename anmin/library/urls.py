from django.urls import path

from anmin.library import views

app_name = "library"

urlpatterns = [
    path("library/", views.library, name="index"),
    path("library/<int:pk>/", views.library_case, name="case"),
]

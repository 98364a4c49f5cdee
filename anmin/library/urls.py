from django.urls import path

from anmin.library import views

urlpatterns = [
    path("library/", views.library, name="library"),
    path("library/<int:pk>/", views.library_case, name="library-case"),
]

from django.urls import path

from anmin.reviews import views

urlpatterns = [
    path("cases/<int:pk>/review/", views.review, name="case-review"),
    path("cases/<int:pk>/deliberation/", views.deliberation, name="case-deliberation"),
]

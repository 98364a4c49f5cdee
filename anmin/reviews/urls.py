from django.urls import path

from anmin.reviews import views

app_name = "reviews"

urlpatterns = [
    path("cases/<int:pk>/review/", views.review, name="review"),
    path("cases/<int:pk>/deliberation/", views.deliberation, name="deliberation"),
]

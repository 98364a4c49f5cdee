from django.urls import path

from anmin.core import views

app_name = "core"

urlpatterns = [
    path("pii/reveal/", views.reveal, name="pii-reveal"),
]

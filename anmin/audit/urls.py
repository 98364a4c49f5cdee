from django.urls import path

from anmin.audit import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.trail, name="trail"),
    path("audit/export.<str:fmt>", views.export, name="export"),
]

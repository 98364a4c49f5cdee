from django.urls import path

from anmin.patrol import views

app_name = "patrol"

urlpatterns = [
    path("patrol/", views.index, name="index"),
    path("patrol/<int:station_id>/", views.station_page, name="station"),
    path("patrol/<int:station_id>/generate/", views.generate, name="generate"),
    path("patrol/<int:station_id>/print/", views.print_page, name="print"),
    path("patrol/<int:station_id>/coverage/", views.coverage_page, name="coverage"),
]

from django.urls import path

from anmin.geo import views

app_name = "geo"

urlpatterns = [
    path("geo/layers.json", views.layers, name="layers"),
    path("geo/tiles/<int:z>/<int:x>/<int:y>.<str:ext>", views.tile, name="tile"),
]

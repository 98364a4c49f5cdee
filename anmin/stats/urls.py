from django.urls import path

from anmin.stats import views

urlpatterns = [
    path("stats/", views.builder, name="stats"),
    path("stats/records/", views.records, name="stats-records"),
    path("stats/export.<str:fmt>", views.export, name="stats-export"),
    path("stats/pack/<str:kind>.<str:fmt>", views.pack, name="stats-pack"),
    path("stats/dashboard/", views.dashboard, name="stats-dashboard"),
    path("stats/dashboard/data", views.dashboard_data, name="stats-dashboard-data"),
    path("stats/dashboard/cells", views.dashboard_cells, name="stats-dashboard-cells"),
]

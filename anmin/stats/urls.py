from django.urls import path

from anmin.stats import views

app_name = "stats"

urlpatterns = [
    path("stats/", views.builder, name="builder"),
    path("stats/records/", views.records, name="records"),
    path("stats/export.<str:fmt>", views.export, name="export"),
    path("stats/pack/<str:kind>.<str:fmt>", views.pack, name="pack"),
    path("stats/dashboard/", views.dashboard, name="dashboard"),
    path("stats/dashboard/data", views.dashboard_data, name="dashboard-data"),
    path("stats/dashboard/cells", views.dashboard_cells, name="dashboard-cells"),
]

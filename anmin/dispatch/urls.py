from django.urls import path

from anmin.dispatch import views

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/queue/", views.queue, name="board-queue"),
    path("board/units/", views.units_panel, name="board-units"),
    path("board/map.json", views.map_data, name="board-map"),
    path("board/grid.json", views.grid_data, name="board-grid"),
    path("intake/", views.intake, name="intake"),
    path("places/", views.places, name="places"),
    path("incidents/<int:pk>/", views.incident_page, name="incident"),
    path("incidents/<int:pk>/panel/", views.incident_panel, name="incident-panel"),
    path("m/", views.phone, name="phone"),
    path("m/panel/", views.phone_panel, name="phone-panel"),
]

from django.urls import path, re_path

from anmin.dispatch import phone, views

app_name = "dispatch"

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
    path("incidents/<int:pk>/dispatch/", views.dispatch_units, name="incident-dispatch"),
    path("incidents/<int:pk>/cancel/", views.cancel_incident, name="incident-cancel"),
    path("incidents/<int:pk>/reopen/", views.reopen_incident, name="incident-reopen"),
    path("incidents/<int:pk>/reveal/", views.reveal_caller, name="incident-reveal"),
    path("m/", phone.phone, name="phone"),
    path("m/panel/", phone.phone_panel, name="phone-panel"),
    re_path(r"^m/panel/(?P<step>en_route|arrive|handle|resolve)/$", phone.phone_step, name="phone-step"),
    path("m/panel/feedback/", phone.phone_feedback, name="phone-feedback"),
    path("m/panel/status/", phone.phone_status, name="phone-status"),
    path("m/panel/position/", phone.phone_position, name="phone-position"),
]

from django.urls import path

from anmin.missing import broadcast_views as views

app_name = "missing_groups"

urlpatterns = [
    path("missing/groups/", views.group_list, name="list"),
    path("missing/groups/new/", views.group_new, name="new"),
    path("missing/groups/<int:pk>/edit/", views.group_edit, name="edit"),
    path("missing/groups/case/<int:pk>/", views.case_broadcast, name="case"),
    # Public: the link in an alert (a signed token per case and group), opened from a phone.
    path("m/clue/<str:token>/", views.clue, name="clue"),
]

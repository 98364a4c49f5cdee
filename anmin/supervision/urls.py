from django.urls import path

from anmin.supervision import views

app_name = "supervision"

urlpatterns = [
    path("supervision/", views.dashboard, name="dashboard"),
    path("supervision/clocks/", views.clock_list, name="clocks"),
    path("supervision/clocks/<int:pk>/extend/", views.clock_extend, name="clock-extend"),
    path("supervision/clocks/<int:pk>/complete/", views.clock_complete, name="clock-complete"),
    path("supervision/inspection/", views.inspection, name="inspection"),
    path("notices/", views.notices, name="notices"),
    path("notices/badge/", views.notice_badge, name="notice-badge"),
]

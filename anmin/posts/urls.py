from django.urls import path

from anmin.posts import views

app_name = "posts"

urlpatterns = [
    path("posts/", views.post_list, name="index"),
    path("posts/<int:pk>/", views.post_page, name="post"),
    path("posts/<int:pk>/roster/", views.post_roster, name="roster"),
    path("posts/<int:pk>/report/", views.post_report, name="report"),
    path("posts/shifts/<int:pk>/", views.shift_page, name="shift"),
    path("posts/shifts/<int:pk>/change/", views.shift_change, name="change"),
    path("posts/shifts/<int:pk>/on-duty/", views.shift_on_duty, name="on-duty"),
    path("posts/shifts/<int:pk>/off-duty/", views.shift_off_duty, name="off-duty"),
    path("posts/checks/<int:pk>/handle/", views.check_handle, name="handle-hit"),
    path("posts/wanted/", views.wanted_list, name="wanted"),
    path("posts/wanted/<int:pk>/withdraw/", views.wanted_withdraw, name="wanted-withdraw"),
]

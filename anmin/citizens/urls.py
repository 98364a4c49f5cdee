from django.urls import path

from anmin.citizens import views

app_name = "citizens"

urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/login/", views.login, name="login"),
    path("portal/login/code/", views.send_code, name="login-code"),
    path("portal/logout/", views.logout, name="logout"),
    path("portal/me/", views.me, name="me"),
]

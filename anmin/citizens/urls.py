from django.urls import path

from anmin.citizens import views

urlpatterns = [
    path("portal/", views.home, name="portal"),
    path("portal/login/", views.login, name="portal-login"),
    path("portal/login/code/", views.send_code, name="portal-login-code"),
    path("portal/logout/", views.logout, name="portal-logout"),
    path("portal/me/", views.me, name="portal-me"),
]

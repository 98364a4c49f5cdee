from django.urls import path

from anmin.org import views

app_name = "org"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/challenge.png", views.challenge_image, name="challenge"),
    path("logout/", views.logout_view, name="logout"),
    path("", views.home, name="home"),
]

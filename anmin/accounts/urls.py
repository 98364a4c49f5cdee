from django.urls import path

from anmin.accounts import views

app_name = "accounts"

urlpatterns = [
    path("account/", views.security, name="security"),
    path("account/password/", views.password, name="password"),
    path("account/two-factor/", views.two_factor, name="two-factor"),
    path("account/two-factor/reset/", views.reset_two_factor, name="reset-two-factor"),
    path("login/verify/", views.verify, name="verify"),
]

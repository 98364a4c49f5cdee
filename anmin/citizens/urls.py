from django.urls import path

from anmin.citizens import views

app_name = "citizens"

urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/login/", views.login, name="login"),
    path("portal/login/code/", views.send_code, name="login-code"),
    path("portal/logout/", views.logout, name="logout"),
    path("portal/me/", views.me, name="me"),
    path("portal/me/identity-change/", views.identity_change, name="identity-change"),
    # staff
    path("citizens/identity-changes/", views.identity_changes, name="identity-changes"),
    path("citizens/identity-changes/<int:pk>/", views.identity_change_review, name="identity-change-review"),
]

from django.urls import path  # noqa: F401 - the broadcast's pages (the clue link) are added here

app_name = "missing_groups"

urlpatterns: list = []

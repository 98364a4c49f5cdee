from django.urls import path

from anmin.feedback import views

app_name = "feedback"

urlpatterns = [
    path("s/<str:token>/", views.survey_link, name="survey-link"),
    path("feedback/callbacks/", views.callback_queue, name="callbacks"),
    path("feedback/surveys/<int:pk>/", views.survey_page, name="survey"),
    path("feedback/follow-ups/", views.follow_ups, name="follow-ups"),
    path("feedback/follow-ups/<int:pk>/close/", views.follow_up_close, name="follow-up-close"),
]

from django.urls import path

from anmin.disputes import views

app_name = "disputes"

urlpatterns = [
    path("disputes/", views.dispute_list, name="list"),
    path("disputes/new/", views.dispute_create, name="create"),
    path("disputes/report/", views.monthly_report, name="report"),
    path("disputes/<int:pk>/", views.dispute_detail, name="detail"),
    path("disputes/<int:pk>/steps/<str:step>/", views.dispute_step, name="step"),
    path("disputes/<int:pk>/agreement.pdf", views.agreement, name="agreement"),
    path("disputes/<int:pk>/agreement-signing.pdf", views.agreement_full, name="agreement-full"),
    path("visits/plans/", views.visit_plans, name="plans"),
    path("visits/phone/", views.visit_phone, name="phone"),
    path("visits/<int:pk>/tasks/", views.visit_task, name="visit-task"),
    path("visits/tasks/<int:pk>/done/", views.task_done, name="task-done"),
]

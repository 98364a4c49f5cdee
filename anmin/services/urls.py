from django.urls import path

from anmin.services import views

app_name = "services"

urlpatterns = [
    path("portal/services/", views.catalogue, name="portal"),
    path("portal/services/items/<str:code>/", views.item_page, name="portal-item"),
    path("portal/services/items/<str:code>/apply/", views.apply, name="portal-apply"),
    path("portal/services/mine/", views.my_applications, name="portal-applications"),
    path("portal/services/mine/<str:number>/", views.my_application, name="portal-application"),
    path("portal/services/mine/<str:number>/messages/", views.my_message, name="portal-application-message"),
    path("portal/services/mine/<str:number>/supplement/", views.my_supplement, name="portal-application-supplement"),
    path("portal/services/mine/<str:number>/files/<int:pk>/", views.my_file, name="portal-application-file"),
    path("portal/services/progress/", views.progress, name="progress"),
    path("services/queue/", views.queue, name="queue"),
    path("services/applications/<int:pk>/", views.staff_application, name="application"),
    path("services/applications/<int:pk>/steps/", views.staff_process, name="application-process"),
    path("services/applications/<int:pk>/messages/", views.staff_message, name="application-message"),
    path("services/applications/<int:pk>/files/<int:file_pk>/", views.staff_file, name="application-file"),
]

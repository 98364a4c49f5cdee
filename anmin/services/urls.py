from django.urls import path

from anmin.services import views

urlpatterns = [
    path("portal/services/", views.catalogue, name="portal-services"),
    path("portal/services/items/<str:code>/", views.item_page, name="portal-service-item"),
    path("portal/services/items/<str:code>/apply/", views.apply, name="portal-service-apply"),
    path("portal/services/mine/", views.my_applications, name="portal-applications"),
    path("portal/services/mine/<str:number>/", views.my_application, name="portal-application"),
    path("portal/services/mine/<str:number>/messages/", views.my_message, name="portal-application-message"),
    path("portal/services/mine/<str:number>/supplement/", views.my_supplement, name="portal-application-supplement"),
    path("portal/services/mine/<str:number>/files/<int:pk>/", views.my_file, name="portal-application-file"),
    path("portal/services/progress/", views.progress, name="services-progress"),
    path("services/queue/", views.queue, name="services-queue"),
    path("services/applications/<int:pk>/", views.staff_application, name="services-application"),
    path("services/applications/<int:pk>/steps/", views.staff_process, name="services-application-process"),
    path("services/applications/<int:pk>/messages/", views.staff_message, name="services-application-message"),
    path("services/applications/<int:pk>/files/<int:file_pk>/", views.staff_file, name="services-application-file"),
]

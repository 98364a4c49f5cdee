from django.urls import path

from anmin.reports import views

app_name = "reports"

urlpatterns = [
    # Citizens (掌上办)
    path("portal/reports/", views.my_matters, name="portal"),
    path("portal/reports/accidents/new/", views.accident_new, name="portal-accident-new"),
    path("portal/reports/accidents/<int:pk>/", views.accident_page, name="portal-accident"),
    path("portal/reports/accidents/<int:pk>/confirm/", views.accident_confirm, name="portal-accident-confirm"),
    path("portal/reports/accidents/<int:pk>/resend/", views.accident_resend, name="portal-accident-resend"),
    path(
        "portal/reports/accidents/<int:pk>/request-decision/",
        views.accident_request_decision,
        name="portal-accident-request-decision",
    ),
    path("portal/reports/accidents/<int:pk>/document.pdf", views.accident_document, name="portal-accident-pdf"),
    path("portal/reports/online/new/", views.online_new, name="portal-online-new"),
    path("portal/reports/online/<int:pk>/", views.online_page, name="portal-online"),
    path("portal/reports/missing/new/", views.missing_new, name="portal-missing-new"),
    path("portal/reports/missing/<int:pk>/", views.missing_page, name="portal-missing"),
    path("portal/reports/tips/new/", views.tip_new, name="portal-tip-new"),
    path("portal/reports/tips/track/", views.tip_track, name="portal-tip-track"),
    path("portal/reports/tips/track/messages/", views.tip_message, name="portal-tip-message"),
    # Staff
    path("reports/", views.staff_index, name="index"),
    path("reports/accidents/", views.staff_accidents, name="accidents"),
    path("reports/accidents/<int:pk>/", views.staff_accident, name="accident"),
    path("reports/accidents/<int:pk>/decide/", views.staff_accident_decide, name="accident-decide"),
    path("reports/accidents/<int:pk>/photos/<int:photo>/", views.staff_accident_photo, name="accident-photo"),
    path("reports/accidents/<int:pk>/document.pdf", views.staff_accident_document, name="accident-pdf"),
    path("reports/online/<int:pk>/", views.staff_online, name="online"),
    path("reports/tips/", views.staff_tips, name="tips"),
    path("reports/tips/<int:pk>/", views.staff_tip, name="tip"),
    path("reports/tips/<int:pk>/close/", views.staff_tip_close, name="tip-close"),
    path("reports/missing/", views.staff_missing_list, name="missing"),
    path("reports/missing/<int:pk>/", views.staff_missing, name="missing-detail"),
    path("reports/missing/<int:pk>/status/", views.staff_missing_status, name="missing-status"),
    path("reports/missing/<int:pk>/photo/", views.staff_missing_photo, name="missing-photo"),
]

from django.urls import path

from anmin.reports import views

urlpatterns = [
    # Citizens (掌上办)
    path("portal/reports/", views.my_matters, name="portal-reports"),
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
    path("reports/", views.staff_index, name="reports"),
    path("reports/accidents/", views.staff_accidents, name="reports-accidents"),
    path("reports/accidents/<int:pk>/", views.staff_accident, name="reports-accident"),
    path("reports/accidents/<int:pk>/decide/", views.staff_accident_decide, name="reports-accident-decide"),
    path("reports/accidents/<int:pk>/photos/<int:photo>/", views.staff_accident_photo, name="reports-accident-photo"),
    path("reports/accidents/<int:pk>/document.pdf", views.staff_accident_document, name="reports-accident-pdf"),
    path("reports/online/<int:pk>/", views.staff_online, name="reports-online"),
    path("reports/tips/", views.staff_tips, name="reports-tips"),
    path("reports/tips/<int:pk>/", views.staff_tip, name="reports-tip"),
    path("reports/tips/<int:pk>/close/", views.staff_tip_close, name="reports-tip-close"),
    path("reports/missing/", views.staff_missing_list, name="reports-missing"),
    path("reports/missing/<int:pk>/", views.staff_missing, name="reports-missing-detail"),
    path("reports/missing/<int:pk>/status/", views.staff_missing_status, name="reports-missing-status"),
    path("reports/missing/<int:pk>/photo/", views.staff_missing_photo, name="reports-missing-photo"),
]

from django.urls import path

from anmin.cases import views

urlpatterns = [
    path("cases/", views.case_list, name="cases"),
    path("cases/new/", views.case_new, name="case-new"),
    path("cases/<int:pk>/", views.case_page, name="case"),
    path("cases/<int:pk>/documents/<int:doc>/", views.document_download, name="case-document"),
    path("approvals/", views.approval_inbox, name="approvals"),
    path("approvals/<int:pk>/decide/", views.approval_decide, name="approval-decide"),
]

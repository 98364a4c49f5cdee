from django.urls import path

from anmin.cases import views

urlpatterns = [
    path("cases/", views.case_list, name="cases"),
    path("cases/new/", views.case_new, name="case-new"),
    path("cases/<int:pk>/", views.case_page, name="case"),
    # One URL per form of the case page.
    path("cases/<int:pk>/transition/", views.Transition.as_view(), name="case-transition"),
    path("cases/<int:pk>/persons/", views.AddPersonView.as_view(), name="case-add-person"),
    path("cases/<int:pk>/persons/reveal/", views.Reveal.as_view(), name="case-reveal"),
    path("cases/<int:pk>/measures/", views.TakeMeasureView.as_view(), name="case-measure"),
    path("cases/<int:pk>/measures/end/", views.EndMeasureView.as_view(), name="case-end-measure"),
    path("cases/<int:pk>/documents/", views.Upload.as_view(), name="case-upload"),
    path("cases/<int:pk>/helpers/", views.Helpers.as_view(), name="case-helpers"),
    path("cases/<int:pk>/documents/<int:doc>/", views.document_download, name="case-document"),
    path("approvals/", views.approval_inbox, name="approvals"),
    path("approvals/<int:pk>/decide/", views.approval_decide, name="approval-decide"),
]

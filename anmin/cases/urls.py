from django.urls import path

from anmin.cases import views

app_name = "cases"

urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("cases/new/", views.case_new, name="new"),
    path("cases/<int:pk>/", views.case_page, name="detail"),
    # One URL per form of the case page.
    path("cases/<int:pk>/transition/", views.Transition.as_view(), name="transition"),
    path("cases/<int:pk>/persons/", views.AddPersonView.as_view(), name="add-person"),
    path("cases/<int:pk>/persons/reveal/", views.Reveal.as_view(), name="reveal"),
    path("cases/<int:pk>/measures/", views.TakeMeasureView.as_view(), name="measure"),
    path("cases/<int:pk>/measures/end/", views.EndMeasureView.as_view(), name="end-measure"),
    path("cases/<int:pk>/documents/", views.Upload.as_view(), name="upload"),
    path("cases/<int:pk>/helpers/", views.Helpers.as_view(), name="helpers"),
    path("cases/<int:pk>/documents/<int:doc>/", views.document_download, name="document"),
    path("approvals/", views.approval_inbox, name="approvals"),
    path("approvals/<int:pk>/decide/", views.approval_decide, name="approval-decide"),
]

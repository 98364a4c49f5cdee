from django.urls import path

from anmin.property import views

urlpatterns = [
    path("cases/<int:pk>/property/", views.case_property, name="case-property"),
    path("property/", views.property_review, name="property-review"),
    path("property/approvals/<int:pk>/decide/", views.property_decide, name="property-decide"),
]

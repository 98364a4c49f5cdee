from django.urls import path

from anmin.property import views

urlpatterns = [
    path("cases/<int:pk>/property/", views.case_property, name="case-property"),
    # One URL per form of the register.
    path("cases/<int:pk>/property/register/", views.Register.as_view(), name="property-register"),
    path("cases/<int:pk>/property/photos/", views.AddPhotos.as_view(), name="property-photos"),
    path("cases/<int:pk>/property/custody/", views.Custody.as_view(), name="property-custody"),
    path("property/", views.property_review, name="property-review"),
    path("property/approvals/<int:pk>/decide/", views.property_decide, name="property-decide"),
]

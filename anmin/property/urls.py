from django.urls import path

from anmin.property import views

app_name = "property"

urlpatterns = [
    path("cases/<int:pk>/property/", views.case_property, name="case"),
    # One URL per form of the register.
    path("cases/<int:pk>/property/register/", views.Register.as_view(), name="register"),
    path("cases/<int:pk>/property/photos/", views.AddPhotos.as_view(), name="photos"),
    path("cases/<int:pk>/property/custody/", views.Custody.as_view(), name="custody"),
    path("property/", views.property_review, name="review"),
    path("property/approvals/<int:pk>/decide/", views.property_decide, name="decide"),
]

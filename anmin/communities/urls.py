from django.urls import path, re_path

from anmin.communities import views

app_name = "communities"

urlpatterns = [
    path("communities/", views.community_list, name="list"),
    path("communities/new/", views.community_new, name="new"),
    path("communities/<int:pk>/", views.community_detail, name="detail"),
    path("communities/<int:pk>/edit/", views.community_edit, name="edit"),
    path("communities/<int:pk>/parts/", views.community_parts, name="parts"),
    re_path(
        r"^communities/(?P<pk>[0-9]+)/parts/(?P<part>worker|building|access|source)/$",
        views.community_parts,
        name="part-add",
    ),
    path("communities/<int:pk>/incidents/", views.community_incidents, name="incidents"),
    path("communities/<int:pk>/cases/", views.community_cases, name="cases"),
    path("communities/<int:pk>/leads/", views.community_leads, name="leads"),
    path("communities/leads/<int:pk>/mark/", views.mark_lead, name="mark-lead"),
]

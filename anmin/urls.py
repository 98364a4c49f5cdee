from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from anmin.api import api, openapi_json
from anmin.grassroots import grassroots

admin.site.site_header = _("安民 系统管理")
admin.site.site_title = _("安民 系统管理")
admin.site.index_title = _("配置")

# Error pages in Chinese, in the portal's style under the portal (anmin.core.errorpages).
handler400 = "anmin.core.errorpages.bad_request"
handler403 = "anmin.core.errorpages.permission_denied"
handler404 = "anmin.core.errorpages.page_not_found"
handler500 = "anmin.core.errorpages.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/openapi.json", openapi_json, name="openapi"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("anmin.core.urls")),
    path("", include("anmin.org.urls")),
    path("", include("anmin.accounts.urls")),
    path("", include("anmin.citizens.urls")),
    path("", include("anmin.reports.urls")),
    path("", include("anmin.services.urls")),
    path("", include("anmin.feedback.urls")),
    path("", include("anmin.bookings.urls")),
    path("", include("anmin.dispatch.urls")),
    path("", include("anmin.cases.urls")),
    path("", include("anmin.property.urls")),
    path("", include("anmin.library.urls")),
    path("", include("anmin.reviews.urls")),
    path("", include("anmin.supervision.urls")),
    path("", include("anmin.stats.urls")),
    path("", include("anmin.audit.urls")),
    path("", include("anmin.geo.urls")),
    # 基层工作 (anmin/grassroots.py), namespaced like every page: "grassroots:index".
    path("grassroots/", include(([path("", grassroots, name="index")], "grassroots"))),
    path("", include("anmin.communities.urls")),
    path("", include("anmin.disputes.urls")),
    path("", include("anmin.posts.urls")),
    path("", include("anmin.patrol.urls")),
    path("", include("anmin.missing.urls")),
    path("", include("anmin.missing.broadcast_urls")),
]

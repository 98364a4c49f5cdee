"""The site's URLs plus one that fails, for the tests of the 500 page (ROOT_URLCONF in those tests)."""

from django.urls import path

from anmin.urls import handler400, handler403, handler404, handler500
from anmin.urls import urlpatterns as site_urls

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def fail(request):
    raise RuntimeError("a deliberate failure: the test of the 500 page")


urlpatterns = [path("test-failure/", fail), *site_urls]

"""URLconf for `make bench` only (DJANGO_BENCHMARK=1): the site plus a bare view.

The bare view answers through the same middleware as every page, so the benchmark can
say how much slower each page is than doing nothing in the same process. It is never
part of the production URLconf.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from alignment_course.urls import urlpatterns as site_urlpatterns


@login_not_required
def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("__bench__/bare/", bare, name="bench_bare"), *site_urlpatterns]

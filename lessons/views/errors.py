"""Error pages that Django calls itself rather than through a URL (CSRF failure)."""

from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def csrf_failure(request, reason=""):
    """A refused form post, explained in the site's design with the way back.

    The X-Refused header lets the page's script tell an htmx request's learner that the
    session changed, rather than a generic "not allowed".
    """
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = ""
    response = render(request, "403_csrf.html", {"back": back}, status=403)
    response["X-Refused"] = "csrf"
    return response

"""Certificates of completion: the learner's own list (issue, revoke) and the public,
printable verification page. Only the holder sees or changes their certificates; the
public page shows only what the certificate itself says."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lessons.actions import NotEarned, issue_certificate, revoke_certificate
from lessons.learners import Learner
from lessons.models import Certificate, Course
from lessons.permissions import private_no_store
from lessons.progress import certificate_scopes, course_progress

MAX_NAME = 120


def _scopes(user):
    course = Course.objects.first()
    return certificate_scopes(course_progress(Learner(user, "")), course.title if course else "The course")


def _list_context(request, *, refused="", error="", name=""):
    """Rows of (scope, active certificate or None, error, name in the field)."""
    active = {c.scope: c for c in Certificate.objects.for_user(request.user).active()}
    default_name = request.user.get_full_name() or request.user.get_username()
    rows = [
        (
            scope,
            active.get(scope.scope),
            error if scope.scope == refused else "",
            name if scope.scope == refused else default_name,
        )
        for scope in _scopes(request.user)
    ]
    return {"rows": rows}


@require_safe
@private_no_store
def certificate_list(request):
    """What the learner can be certified for, with their active certificates."""
    return render(request, "lessons/certificates.html", _list_context(request))


@require_POST
def certificate_issue(request):
    scope_key = request.POST.get("scope", "")
    name = " ".join(request.POST.get("name", "").split())
    scope = next((s for s in _scopes(request.user) if s.scope == scope_key), None)
    if scope is None:
        return render(request, "400.html", {"message": "There is no such part or course to certify."}, status=400)
    error = ""
    if not name:
        error = "Write the name to print on the certificate."
    elif len(name) > MAX_NAME:
        error = f"Keep the name under {MAX_NAME} characters."
    if not error:
        try:
            certificate = issue_certificate(request.user, scope, name)
        except NotEarned:
            error = "Complete every lesson of this first: the certificate says you did."
        else:
            return redirect(certificate)
    context = _list_context(request, refused=scope_key, error=error, name=name)
    return render(request, "lessons/certificates.html", context, status=400)


@require_POST
def certificate_revoke(request, public_id):
    # Someone else's certificate is "not found", never "forbidden": ids must not be probed.
    certificate = get_object_or_404(Certificate.objects.for_user(request.user).active(), public_id=public_id)
    revoke_certificate(certificate)
    messages.success(request, f"Revoked the certificate for “{certificate.title}”. Its link now says so.")
    return redirect("lessons:certificate_list")


@require_http_methods(["GET"])
@login_not_required
def certificate_detail(request, public_id):
    """The printable certificate and its public verification: anyone with the link."""
    certificate = get_object_or_404(Certificate, public_id=public_id)
    verify_url = request.build_absolute_uri(certificate.get_absolute_url())
    context = {"certificate": certificate, "verify_url": verify_url}
    return render(request, "lessons/certificate_detail.html", context, status=410 if certificate.is_revoked else 200)

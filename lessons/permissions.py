"""Who may do what. Roles: guest, learner (any account), instructor (group), admin (staff)."""

from django.contrib.auth.models import AnonymousUser

INSTRUCTORS_GROUP = "Instructors"


def is_instructor(user) -> bool:
    """Instructors and admins may author content."""
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    # Cached per request object, so templates can ask repeatedly for one query.
    if not hasattr(user, "_is_instructor"):
        user._is_instructor = user.groups.filter(name=INSTRUCTORS_GROUP).exists()
    return user._is_instructor


def instructor_required(view):
    """Instructors and admins only. Guests are sent to log in (by LoginRequiredMiddleware,
    since studio views are not marked public); signed-in learners get 403."""
    from functools import wraps

    from django.core.exceptions import PermissionDenied

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_instructor(request.user):
            raise PermissionDenied("Instructors only.")
        return view(request, *args, **kwargs)

    return wrapped


def staff_required(view):
    """Admins (staff) only: individual learners' data. Guests log in; others get 403."""
    from functools import wraps

    from django.core.exceptions import PermissionDenied

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("Administrators only.")
        return view(request, *args, **kwargs)

    return wrapped

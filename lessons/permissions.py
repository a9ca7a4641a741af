"""Who may do what. Roles: guest, learner (any account), instructor (group), admin (staff)."""

from functools import wraps

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.views.decorators.cache import cache_control

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


def _require(allowed, message: str):
    """A view decorator: `allowed(user)` or 403. Guests never get here: the views are not
    marked public, so LoginRequiredMiddleware sends them to log in first."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


instructor_required = _require(is_instructor, "Instructors only.")
staff_required = _require(lambda user: user.is_staff, "Administrators only.")


# Pages and files about individual learners: never kept by a browser or a shared cache.
private_no_store = cache_control(private=True, no_store=True)

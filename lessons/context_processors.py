"""Template context every page needs: the course's name, the user's role, items due."""

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from lessons.permissions import is_instructor


def site(request):
    user = getattr(request, "user", None)
    return {
        "site_name": "Alignment Course",
        # Lazy: only full pages (the navigation) ask, so fragments skip the query.
        "user_is_instructor": SimpleLazyObject(lambda: bool(user and is_instructor(user))),
        # Lazy: counted only where a page shows it (the header), in one indexed query,
        # and not at all for a guest who has no key yet.
        "review_due": SimpleLazyObject(lambda: review_due(request)),
    }


def review_due(request) -> int:
    """How many review items are due for this request's learner (memoised on the request)."""
    if not hasattr(request, "_review_due"):
        request._review_due = _count_due(request)
    return request._review_due


def _count_due(request) -> int:
    from lessons.learners import Learner
    from lessons.review import due_count

    if not hasattr(request, "session"):
        return 0
    return due_count(Learner.from_request(request), timezone.now())

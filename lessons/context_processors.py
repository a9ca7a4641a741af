"""Template context every page needs: the course's name and the user's role."""

from django.utils.functional import SimpleLazyObject

from lessons.permissions import is_instructor


def site(request):
    user = getattr(request, "user", None)
    return {
        "site_name": "Alignment Course",
        # Lazy: only full pages (the navigation) ask, so fragments skip the query.
        "user_is_instructor": SimpleLazyObject(lambda: bool(user and is_instructor(user))),
    }

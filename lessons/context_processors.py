"""Template context every page needs: the course's name and the user's role."""

from lessons.permissions import is_instructor


def site(request):
    user = getattr(request, "user", None)
    return {
        "site_name": "Alignment Course",
        "user_is_instructor": bool(user and is_instructor(user)),
    }

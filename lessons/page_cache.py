"""What lesson and outline pages can reuse between requests, kept in Django's cache.

Shared by everyone: a lesson's quizzes and exercises with their questions, choices and
cases; the parts with their published lessons; and the whole page as a cookie-less guest
sees it. Per learner: a rendered question or exercise form, and a learner's whole lesson
page, each under a key that names every piece of learner state the HTML shows (who they
are, status, every score, hence the shuffled order). Two learners share an entry only when
it would render identically for both, and a change of state is a new key. The CSRF token
is swapped for a placeholder in every cached HTML and put back per request. A learner's
rows (answers, attempts, progress) are read from the database on every request.

Every key carries ContentVersion.number, read from the database per request; saving or
deleting any content bumps it (receivers below, plus explicit bumps where content is
written with QuerySet.update). So a publish or an import is seen at once, by every
worker, with local memory or Redis alike; old keys simply expire.

A cache that fails (Redis down) is logged and treated as a miss: pages render from the
database, never a 500.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

TIMEOUT = 60 * 60  # a safety net: keys change with the content version anyway
LEARNER_PAGE_TIMEOUT = 10 * 60  # one learner's page is worth keeping while they read on
CSRF_PLACEHOLDER = "\x00csrf-token\x00"
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def get(key: str):
    try:
        return cache.get(key)
    except Exception:  # any backend failure is a miss; the page renders from the database
        logger.warning("cache get failed for %s", key, exc_info=True)
        return None


def put(key: str, value, timeout: int | None = None) -> None:
    try:
        cache.set(key, value, timeout or TIMEOUT)
    except Exception:
        logger.warning("cache set failed for %s", key, exc_info=True)


# What this process already unpickled, by the same keys: the content version in every key
# is read from the database per request, so an entry here is never stale, and a worker
# skips unpickling the same quizzes on every page. Bounded; cleared with clear_local().
_local: OrderedDict = OrderedDict()
LOCAL_ENTRIES = 256


def get_or_compute(key: str, compute):
    """The cached value of `key`, computing and storing it on a miss (None is never stored)."""
    if key in _local:
        _local.move_to_end(key)
        return _local[key]
    value = get(key)
    if value is None:
        value = compute()
        if value is None:
            return None
        put(key, value)
    _local[key] = value
    if len(_local) > LOCAL_ENTRIES:
        _local.popitem(last=False)
    return value


def clear_local() -> None:
    _local.clear()


def shared_html(html: str) -> str | None:
    """A page rendered for a cookie-less guest, with its CSRF token replaced by a placeholder.

    None if the page has no form (nothing to replace is fine) or an unexpected token shape.
    """
    tokens = {m.group(1) for m in _CSRF_INPUT.finditer(html)}
    if len(tokens) > 1:
        return None  # two different tokens: not the page we expect; do not cache it
    for token in tokens:
        html = html.replace(token, CSRF_PLACEHOLDER)
    return html


def personal_html(shared: str, csrf_token: str) -> str:
    return shared.replace(CSRF_PLACEHOLDER, csrf_token)


def serves_shared_page(request, learner) -> bool:
    """True for a reader whose page is the same as everyone's: no account, no session,
    no guest key, no pending messages, no query string."""
    from django.conf import settings

    return (
        not learner.is_known
        and not request.user.is_authenticated
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES  # the cookie message storage's name
        and not request.GET
        and not getattr(request, "htmx", False)
    )


# -- invalidation ------------------------------------------------------------------------

CONTENT_MODELS = ("Course", "Part", "Lesson", "Quiz", "Question", "Choice", "Taxonomy", "Category", "Exercise", "Case")


def _content_changed(sender, **kwargs):
    from lessons.models import ContentVersion

    if kwargs.get("raw"):
        return  # loaddata: the content version row may not be loaded yet
    ContentVersion.bump()


def connect_receivers() -> None:
    from django.apps import apps

    for name in CONTENT_MODELS:
        model = apps.get_model("lessons", name)
        post_save.connect(_content_changed, sender=model, dispatch_uid=f"content-version-save-{name}")
        post_delete.connect(_content_changed, sender=model, dispatch_uid=f"content-version-delete-{name}")


# -- fragments of a learner's page --------------------------------------------------------


class FragmentStore:
    """Rendered quiz questions and exercises of one lesson page, fetched in one round trip.

    A fragment's key holds everything of the learner that its HTML shows (choice order,
    attempts, latest and best score), so two learners share a fragment only when it would
    render identically for both. Fragments with a result or an error are never cached.
    """

    def __init__(self, prefix: str, keys: list[str]):
        self.prefix = prefix
        self.found = {}
        wanted = [self.full_key(k) for k in keys if k]
        if wanted:
            try:
                self.found = cache.get_many(wanted)
            except Exception:
                logger.warning("cache get_many failed", exc_info=True)

    def full_key(self, key: str) -> str:
        return f"fragment:{self.prefix}:{key}"

    def get(self, key: str) -> str | None:
        return self.found.get(self.full_key(key))

    def put(self, key: str, html: str) -> None:
        put(self.full_key(key), html)

"""Throttles: failed log-ins per IP address (on top of django-axes' username+IP lock-out)
and answer/check submissions per client, and the client address both of them use.

django-axes compares one failure count with one limit. The handler below gives it two:
a username+IP pair is locked after AXES_FAILURE_LIMIT failures, and an IP address after
AXES_IP_FAILURE_LIMIT failures over any usernames (one address guessing many accounts).
"""

from __future__ import annotations

import logging
import time

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum

RATE_LIMIT_MESSAGE = "You are answering faster than anyone reads. Wait a minute, then try again."

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address
    the outermost trusted proxy saw (X-Forwarded-For entries further left can be forged)."""
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")


def over_answer_limit(request) -> bool:
    """Count one answer or check for this client (account, else address); True once the
    client is over ANSWER_RATE_LIMIT in the current ANSWER_RATE_WINDOW_SECONDS window.

    Uses Django's cache, so it holds across workers with a shared cache (Redis, Memcached,
    database) and per worker with the default local-memory cache."""
    window = settings.ANSWER_RATE_WINDOW_SECONDS
    who = f"user-{request.user.pk}" if request.user.is_authenticated else f"ip-{client_ip(request)}"
    key = f"answer-rate:{who}:{int(time.time() // window)}"
    try:
        cache.add(key, 0, timeout=window * 2)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=window * 2)
            count = 1
    except Exception:  # a cache that is down must not turn answers into 500s: let them through
        logger.warning("answer rate limit not checked: the cache failed", exc_info=True)
        return False
    return count > settings.ANSWER_RATE_LIMIT


class PairAndAddressHandler(AxesDatabaseHandler):
    """AXES_LOCKOUT_PARAMETERS must be [["username", "ip_address"], "ip_address"], in that order."""

    def get_failures(self, request, credentials=None) -> int:
        pair, address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if address >= settings.AXES_IP_FAILURE_LIMIT:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A successful log-in clears its own username+IP pair only: otherwise logging in to
        # one's own account would wipe the address's failures against everyone else's.
        pair = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair.delete()
        return count

"""Throttles: failed log-ins per IP address (on top of django-axes' username+IP lock-out)
and answer/check submissions per client.

django-axes compares one failure count with one limit. The handler below gives it two:
a username+IP pair is locked after AXES_FAILURE_LIMIT failures, and an IP address after
AXES_IP_FAILURE_LIMIT failures over any usernames (one address guessing many accounts).
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


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

"""Who is learning: a signed-in user, or a guest identified by a key kept in the session.

The guest key lives inside the session data (not the session id), so it survives the
session-id rotation Django performs at log-in; that is what lets a guest's answers be
merged into their account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

GUEST_KEY = "guest_key"


@dataclass(frozen=True)
class Learner:
    user_id: int | None
    guest_key: str

    @classmethod
    def from_request(cls, request, *, create: bool = False) -> Learner:
        """The learner behind `request`. With create=True a guest gets a key if it has none."""
        if request.user.is_authenticated:
            return cls(request.user.pk, "")
        key = request.session.get(GUEST_KEY, "")
        if not key and create:
            key = request.session[GUEST_KEY] = secrets.token_hex(16)
        return cls(None, key)

    @property
    def is_known(self) -> bool:
        return bool(self.user_id or self.guest_key)

    @property
    def session_key(self) -> str:
        # Attempt rows name their guest in a column called session_key.
        return self.guest_key

    def owner(self) -> dict:
        """Field values that mark a new attempt row as this learner's."""
        return {"user_id": self.user_id, "session_key": "" if self.user_id else self.guest_key}

    def seed(self) -> str:
        return f"u{self.user_id}" if self.user_id else f"g{self.guest_key}"

"""Turning submitted form values into choices and categories, or a readable refusal.

Choices reach the browser as opaque tokens (an HMAC of the choice id), never as ids: ids
follow authoring order, and authors often write the right answer first.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


class BadSubmission(ValueError):
    """A submission we refuse with HTTP 400; the message is shown to the learner."""


def choice_token(choice_id: int) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"choice:{choice_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


def picked_choices(question, data) -> list:
    """The question's choices named in `data` (a QueryDict), or BadSubmission."""
    tokens = data.getlist("choice")
    if not tokens:
        raise BadSubmission("Choose an answer before checking.")
    if len(tokens) > len(question.choices.all()) or len(set(tokens)) != len(tokens):
        raise BadSubmission("That answer doesn't match this question. Reload the page and try again.")
    by_token = {choice_token(c.pk): c for c in question.choices.all()}
    unknown = [t for t in tokens if t not in by_token]
    if unknown:
        raise BadSubmission("That answer doesn't match this question. Reload the page and try again.")
    if question.kind != "multiple" and len(tokens) != 1:
        raise BadSubmission("Choose exactly one answer.")
    return [by_token[t] for t in tokens]

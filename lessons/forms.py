"""Turning submitted form values into choices and categories, or a readable refusal.

Choices reach the browser as opaque tokens (an HMAC of the choice id), never as ids: ids
follow authoring order, and authors often write the right answer first.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class BadSubmission(ValueError):
    """A submission we refuse with HTTP 400; the message is shown to the learner."""


def choice_token(choice_id: int) -> str:
    return _choice_token(settings.SECRET_KEY, choice_id)


@functools.lru_cache(maxsize=4096)
def _choice_token(secret: str, choice_id: int) -> str:
    # Cached: a lesson page needs one per choice, and the HMAC is the same every time.
    digest = hmac.new(secret.encode(), f"choice:{choice_id}".encode(), hashlib.sha256)
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


class IncompleteExercise(BadSubmission):
    """Some cases have no category yet: refused, but the learner's picks are kept for the form."""

    def __init__(self, message: str, picks: dict[str, list[str]]):
        super().__init__(message)
        self.picks = picks


def picked_categories(exercise, cases, data) -> dict[str, list[str]]:
    """Case slug → category slugs picked, for every one of `cases`; or BadSubmission."""
    known_cases = {case.slug for case in cases}
    known_categories = {category.slug for category in exercise.taxonomy.categories.all()}
    submitted = {key[5:] for key in data if key.startswith("case-")}
    if submitted - known_cases:
        raise BadSubmission("That answer names a case that isn't in this exercise. Reload the page and try again.")
    picks: dict[str, list[str]] = {}
    for case in cases:
        values = data.getlist(f"case-{case.slug}")
        if any(value not in known_categories for value in values) or len(set(values)) != len(values):
            raise BadSubmission("That answer names a category that isn't in this taxonomy. Reload and try again.")
        if not exercise.multi_label and len(values) > 1:
            raise BadSubmission("Choose one category for each case.")
        picks[case.slug] = values
    missing = [case.title for case in cases if not picks[case.slug]]
    if len(missing) == len(cases):
        raise BadSubmission("Choose a category for each case before checking.")
    if missing:
        raise IncompleteExercise(f"Choose a category for every case. Still open: {'; '.join(missing)}.", picks)
    return picks


def _validate_username_length(form) -> None:
    field = form.fields["username"]
    field.validators.append(MaxLengthValidator(field.max_length))


class LengthCheckedAuthenticationForm(AuthenticationForm):
    """Django's log-in form sets the username's max_length after the field is built, so the
    length is never validated: an overlong name reached authentication and django-axes'
    255-character columns (a 500 on PostgreSQL). Here it is refused as a form error first."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        _validate_username_length(self)


class LengthCheckedAdminAuthenticationForm(AdminAuthenticationForm):
    """The same length check for /admin/login/."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        _validate_username_length(self)


# A weight is a short decimal: this refuses megabyte-long numbers before float() sees them.
_WEIGHT_TEXT = 24


def sandbox_weights(sandbox, data) -> dict[str, float]:
    """Term key → weight from `data` (a QueryDict with one `w-KEY` per term), or BadSubmission.

    Every term must be present once, a finite number, and inside the term's stated range;
    any other `w-` field names a term this environment does not offer.
    """
    terms = {term["key"]: term for term in sandbox.terms}
    unknown = sorted(key[2:] for key in data if key.startswith("w-") and key[2:] not in terms)
    if unknown:
        raise BadSubmission(f"This lab has no reward term called {', '.join(f'“{u}”' for u in unknown)[:200]}.")
    weights: dict[str, float] = {}
    for key, term in terms.items():
        values = data.getlist(f"w-{key}")
        label = term["label"]
        if not values or not values[0].strip():
            raise BadSubmission(f"Give a number for “{label}”.")
        if len(values) > 1:
            raise BadSubmission(f"Give one number for “{label}”, not {len(values)}.")
        text = values[0].strip()
        try:
            if len(text) > _WEIGHT_TEXT:
                raise ValueError
            value = float(text)
        except ValueError:
            raise BadSubmission(f"“{label}” must be a number, such as 5 or -0.5.") from None
        if not math.isfinite(value):
            raise BadSubmission(f"“{label}” must be a finite number.")
        if not term["min"] <= value <= term["max"]:
            raise BadSubmission(f"“{label}” must be between {term['min']:g} and {term['max']:g}; you gave {value:g}.")
        weights[key] = value
    return weights


CONFIDENCE_VALUES = ("sure", "think", "guess")


def picked_confidence(data, name: str = "confidence") -> str:
    """The optional confidence marked before checking: "", "sure", "think" or "guess"."""
    values = data.getlist(name)
    if len(values) > 1 or (values and values[0] not in ("", *CONFIDENCE_VALUES)):
        raise BadSubmission("Mark how sure you are as sure, think so or guessing, or leave it unmarked.")
    return values[0] if values else ""


def picked_confidences(cases, data) -> dict[str, str]:
    """Case slug → confidence for each case marked; a mark for an unknown case is refused."""
    known = {case.slug for case in cases}
    named = {key[len("confidence-") :] for key in data if key.startswith("confidence-")}
    if named - known:
        raise BadSubmission("That answer names a case that isn't in this exercise. Reload the page and try again.")
    marks = {case.slug: picked_confidence(data, f"confidence-{case.slug}") for case in cases}
    return {slug: mark for slug, mark in marks.items() if mark}

"""Forms: learners' submissions turned into choices, categories, confidence marks and lab
weights (or a readable refusal), and the site's Django forms (log-in and sign-up, the
studio's lesson and part forms, the report filters and cohorts). The studio's quiz,
exercise and taxonomy editors have their own module, lessons.studio_forms.

Choices reach the browser as opaque tokens (an HMAC of the choice id), never as ids: ids
follow authoring order, and authors often write the right answer first.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
from datetime import date

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.validators import MaxLengthValidator
from django.utils.text import slugify

from lessons.course_source import split_blocks, unknown_embeds
from lessons.markdown import MAX_SOURCE_BYTES
from lessons.models import Cohort, Exercise, Lesson, Part, Quiz, Sandbox


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


def typed_weights(sandbox, data) -> dict[str, float]:
    """The finite numbers in a refused lab form, term key → value, so the form can show the
    learner what they typed while sandbox_weights says what was wrong."""
    typed = {}
    for term in sandbox.terms:
        try:
            value = float(data.get(f"w-{term['key']}", "")[:_WEIGHT_TEXT])
        except ValueError:
            continue
        if math.isfinite(value):
            typed[term["key"]] = value
    return typed


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


# -- the site's Django forms: sign-up, the studio's lesson and part forms, report filters --


class LessonForm(forms.Form):
    title = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=50,
        required=False,
        help_text="Used in the URL; unique in the course. Left empty, it is made from the title.",
    )
    summary = forms.CharField(max_length=300, required=False, help_text="One sentence for the outline.")
    source = forms.CharField(
        strip=False,
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "true"}),
        help_text="Markdown. A line holding only [quiz: slug], [exercise: slug] or [sandbox: slug] embeds one.",
    )
    note = forms.CharField(max_length=200, required=False, help_text="What changed (kept in the history).")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, lesson=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lesson = lesson

    def clean(self):
        data = super().clean()
        if "slug" not in data:  # malformed: SlugField already said why
            return data
        if not data["slug"] and data.get("title"):
            data["slug"] = slugify(data["title"])[:50].strip("-")
        slug = data["slug"]
        clash = Lesson.objects.filter(slug=slug)
        if self.lesson and self.lesson.pk:
            clash = clash.exclude(pk=self.lesson.pk)
        if not slug:
            self.add_error("slug", "Give a slug, or a title to make one from.")
        elif clash.exists():
            self.add_error("slug", "Another lesson already uses this slug.")
        return data

    def clean_source(self):
        source = self.cleaned_data["source"].replace("\r\n", "\n")
        if len(source.encode()) > MAX_SOURCE_BYTES:
            raise forms.ValidationError(f"The text is over the {MAX_SOURCE_BYTES:,}-byte limit; split the lesson.")
        unknown = _unknown_embeds(source)
        if unknown:
            raise forms.ValidationError(unknown)
        return source


class PartForm(forms.ModelForm):
    class Meta:
        model = Part
        fields = ["number", "slug", "title", "summary"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


def _unknown_embeds(source: str) -> list[str]:
    slugs = {kind: [slug for k, slug in split_blocks(source) if k == kind] for kind in ("quiz", "exercise", "sandbox")}
    quizzes = set(Quiz.objects.filter(slug__in=slugs["quiz"]).values_list("slug", flat=True))
    exercises = set(Exercise.objects.filter(slug__in=slugs["exercise"]).values_list("slug", flat=True))
    sandboxes = set(Sandbox.objects.filter(slug__in=slugs["sandbox"]).values_list("slug", flat=True))
    unknown = unknown_embeds(source, quizzes=quizzes, exercises=exercises, sandboxes=sandboxes)
    return [f"Unknown {kind} '{slug}'." for kind, slug in unknown]


EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2199, 12, 31)


class FilterForm(forms.Form):
    cohort = forms.ModelChoiceField(Cohort.objects.all(), required=False, empty_label="All learners")
    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(required=False, label="Search", max_length=100)

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            day = data.get(name)
            if day and not (EARLIEST_DAY <= day <= LATEST_DAY):
                # A day past 9999-12-30 cannot be turned into the end of a window at all.
                self.add_error(name, f"Give a date between {EARLIEST_DAY:%Y} and {LATEST_DAY:%Y}.")
                data.pop(name, None)
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("“From” must be on or before “To”.")
        return data


class CohortForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = ["name", "start_date"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"})}


class SignUpForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def validate_password_for_user(self, user, **kwargs):
        # Django puts "too short" and "too common" under the confirmation field; they are
        # about the password itself, so they belong under it. A mismatch stays on password2.
        super().validate_password_for_user(user, password_field_name="password1")

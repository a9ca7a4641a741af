"""Malformed input never gets a 500: every URL, every form and query parameter.

For each URL of the site (the admin's own pages aside: its login is covered), the test
opens the page as an admin and as a guest, reads the forms it finds there, and sends each
parameter, one at a time and then all at once, a set of malformed values: empty, huge
numbers, impossible dates, NUL, markup, SQL, long and pathological text. Whatever the
answer (200, 302, 400, 403, 404, 405, 409, 429), it is never a server error. It runs on
SQLite and, in CI, on PostgreSQL, where NUL characters and over-long values used to fail.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from lessons.models import Certificate, Cohort, LessonRevision

from .factories import make_exercise, make_lesson, make_quiz, make_sandbox, make_user

pytestmark = pytest.mark.django_db

MALFORMED = [
    "",
    "x",
    "-1",
    "99999999999999999999",
    "9999-12-31",
    "\x00",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "é🙂\u202e",
    "x = " + "[" * 1500,  # pathological for Markdown, too deep for TOML
]
# Query parameters the views read beyond their forms' fields.
QUERY_PARAMETERS = ["q", "sort", "page", "start", "end", "cohort", "fragment", "a", "b", "next", "action"]
# Those that are parsed as numbers, dates or ids, each also alone (one bad value must not be
# masked by another that fails validation first) with the values most likely to break parsing.
TYPED_QUERY_PARAMETERS = ["start", "end", "cohort", "page", "a", "b", "sort"]
TYPED_MALFORMED = ["x", "99999999999999999999", "9999-12-31", "0001-01-01"]
QUIZ_EDITOR_FIELDS = [
    "title",
    "pass_mark",
    "questions-TOTAL_FORMS",
    "questions-INITIAL_FORMS",
    "questions-0-key",
    "questions-0-kind",
    "questions-0-prompt",
    "questions-0-explanation",
    "questions-0-section",
    "questions-0-choices-TOTAL_FORMS",
    "questions-0-choices-INITIAL_FORMS",
    "questions-0-choices-0-key",
    "questions-0-choices-0-text",
    "questions-0-choices-0-correct",
    "questions-0-choices-0-feedback",
]
# POST-only endpoints whose forms live on other pages.
POST_PARAMETERS = {
    "lessons:studio_lesson_preview": ["source", "title", "lesson_id"],
    "lessons:question_answer": ["choice", "confidence"],
    "lessons:exercise_check": ["case-case-1", "case-case-2", "case-case-3", "case-nope", "confidence-case-1"],
    "lessons:review_question": ["choice", "confidence"],
    "lessons:review_case": ["case-case-1", "confidence-case-1", "confidence-nope"],
    "lessons:report_cohort_remove": [],
    "lessons:studio_lesson_move": [],
    "lessons:studio_lesson_delete": [],
    "lessons:studio_part_delete": [],
    "lessons:studio_revision_restore": [],
    "lessons:lesson_progress": [],
    "lessons:sandbox_run": ["w-target", "w-finish", "w-step", "w-nope"],
    "lessons:certificate_issue": ["scope", "name"],
    "lessons:certificate_revoke": [],
    "logout": [],
    # The form editors' live preview (htmx posts the editor's fields there).
    "lessons:studio_assessment_form_preview": [*QUIZ_EDITOR_FIELDS],
    "lessons:studio_assessment_form_preview_new": ["slug", *QUIZ_EDITOR_FIELDS],
}


def all_url_names():
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), tuple(pattern.pattern.converters)

    return sorted(set(walk(get_resolver().url_patterns))) + [("admin:login", ()), ("admin:index", ())]


class FormReader(HTMLParser):
    """Every form's method, action and fields, with the values the page fills in."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._textarea, self._select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action"), "data": {}}
            self.forms.append(self._form)
        elif self._form is None or not attrs.get("name"):
            return
        elif tag == "input" and attrs.get("type") not in {"submit", "button"}:
            if attrs.get("type") in {"checkbox", "radio"} and attrs["name"] in self._form["data"]:
                return
            self._form["data"][attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._form["data"][self._textarea] = ""
        elif tag == "select":
            self._select = attrs["name"]
            self._form["data"].setdefault(self._select, "")
        elif tag == "button" and attrs.get("value") is not None:
            self._form["data"].setdefault(attrs["name"], attrs["value"])

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["data"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


@pytest.fixture
def site(settings):
    """One of everything, so every URL has something real to point at."""
    # Log-in and password forms check a password per request: a fast hasher keeps this quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    quiz = make_quiz("check")
    exercise = make_exercise()
    sandbox = make_sandbox()
    lesson = make_lesson(source="## Intro\n\nRead this.\n\n[quiz: check]\n\n[exercise: sort]\n\n[sandbox: boat-race]\n")
    LessonRevision.objects.create(lesson=lesson, number=1, title=lesson.title, source=lesson.source)
    learner = make_user("learner")
    cohort = Cohort.objects.create(name="Spring")
    cohort.members.add(learner)
    admin = make_user("boss", staff=True)
    kwargs = {
        "part_id": lesson.part_id,
        "lesson_id": lesson.pk,
        "part_slug": lesson.part.slug,
        "lesson_slug": lesson.slug,
        "question_id": quiz.questions.first().pk,
        "case_id": exercise.cases.first().pk,
        "quiz_slug": quiz.slug,
        "exercise_slug": exercise.slug,
        "sandbox_slug": sandbox.slug,
        "taxonomy_slug": exercise.taxonomy.slug,
        "user_id": learner.pk,
        "cohort_id": cohort.pk,
        "number": 1,
        "direction": "up",
        "kind": "quiz",
        "slug": quiz.slug,
        "uidb64": "MQ",
        "token": "set-password",
        "public_id": Certificate.objects.create(
            user=learner, scope="part-1", name="L", title="Part 1", items=[], issued_at=timezone.now()
        ).public_id,
    }
    return kwargs, admin


def send(client, method, url, data):
    response = getattr(client, method)(url, data)
    if response.streaming:
        b"".join(response.streaming_content)  # an error mid-stream counts too
    assert response.status_code < 500, (method, url, data)
    return response


@pytest.mark.parametrize(("name", "params"), all_url_names(), ids=lambda value: value if isinstance(value, str) else "")
def test_malformed_values_in_every_parameter_never_give_a_500(site, name, params):
    kwargs, admin = site
    missing = [p for p in params if p not in kwargs]
    assert not missing, f"give the fuzz test a value for {missing} (URL {name})"
    url = reverse(name, kwargs={p: kwargs[p] for p in params})
    staff = Client()
    staff.force_login(admin)
    for client in (staff, Client()):
        page = send(client, "get", url, {})
        if client is not staff and page.status_code in {301, 302}:
            continue  # a guest sent to log in: the rest is for those who may see the page
        forms = []
        if page.get("Content-Type", "").startswith("text/html") and not page.streaming:
            reader = FormReader()
            reader.feed(page.content.decode())
            forms = [f for f in reader.forms if urlsplit(f["action"] or url).path == url]
        if not forms and name in POST_PARAMETERS:
            forms = [{"method": "post", "data": dict.fromkeys(POST_PARAMETERS[name], "")}]
        for form in forms:
            for value in MALFORMED:
                send(client, form["method"], url, dict.fromkeys(form["data"], value))
                for field in form["data"]:
                    send(client, form["method"], url, {**form["data"], field: value})
        # The query parameters any view reads: all at once with each value, then one by one.
        for value in MALFORMED:
            send(client, "get", url, dict.fromkeys(QUERY_PARAMETERS, value))
        for field in TYPED_QUERY_PARAMETERS:
            for value in TYPED_MALFORMED:
                send(client, "get", url, {field: value})

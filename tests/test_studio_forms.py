"""The studio's form editors for quizzes, exercises and taxonomies, and their live preview."""

import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lessons.actions import course_data_from_database
from lessons.course_source import exercise_to_toml, quiz_to_toml, taxonomy_to_toml
from lessons.models import Answer, Case, Category, Choice, Exercise, Question, Quiz, Taxonomy
from lessons.studio_forms import (
    next_choice_key,
    next_question_key,
    section_choices,
    structural_action,
    unique_slug,
)

from .factories import make_exercise, make_lesson, make_lesson_with_quiz, make_quiz, make_user
from .formdata import form_fields

HTMX = {"HX-Request": "true"}
WRITERS = {"quiz": quiz_to_toml, "exercise": exercise_to_toml, "taxonomy": taxonomy_to_toml}


def form_url(kind, slug=None):
    if slug:
        return reverse("lessons:studio_assessment_form", args=[kind, slug])
    return reverse("lessons:studio_assessment_form_create", args=[kind])


def preview_url(kind, slug=None):
    if slug:
        return reverse("lessons:studio_assessment_form_preview", args=[kind, slug])
    return reverse("lessons:studio_assessment_form_preview_new", args=[kind])


def as_text(kind, slug):
    course = course_data_from_database()
    items = {"quiz": course.quizzes, "exercise": course.exercises, "taxonomy": course.taxonomies}[kind]
    return WRITERS[kind](next(i for i in items if i.slug == slug))


def snapshot():
    """Every assessment row's values: equal snapshots mean nothing was written."""
    models = (Quiz, Question, Choice, Taxonomy, Category, Exercise, Case)
    return {m.__name__: sorted(map(str, m.objects.values_list())) for m in models}


def fields_of(client, kind, slug=None):
    response = client.get(form_url(kind, slug))
    assert response.status_code == 200
    return form_fields(response.content.decode())


# -- pure helpers ---------------------------------------------------------------------------


def test_new_keys_never_reuse_one_in_use_or_retired():
    assert next_question_key(set()) == "q1"
    assert next_question_key({"q1", "q7", "intro"}) == "q8"
    assert next_choice_key(set()) == "a"
    assert next_choice_key({"a", "c"}) == "d"
    assert next_choice_key(set("abcdefghijklmnopqrstuvwxyz")) == "c27"


def test_unique_slug_is_derived_and_deduplicated():
    assert unique_slug("Reward hacking in a boat race!", set(), "case-1") == "reward-hacking-in-a-boat-race"
    assert unique_slug("Same", {"same"}, "x") == "same-2"
    assert unique_slug("???", set(), "case-3") == "case-3"


def test_structural_action_reads_the_button_name():
    assert structural_action({"title": "x", "move_up-2": "1"}) == ("move_up", (2,))
    assert structural_action({"remove_choice-1-3": "1"}) == ("remove_choice", (1, 3))
    assert structural_action({"add_question": "1"}) == ("add_question", ())
    assert structural_action({"save": "1", "title": "x"}) is None


def test_sections_come_from_the_lessons_embedding_the_quiz():
    def lesson(slug, source, *ids):
        headings = [{"level": 2, "id": i, "text": i.title()} for i in ids]
        return SimpleNamespace(slug=slug, title=slug.upper(), source=source, draft_source="", headings=headings)

    lessons = [lesson("a", "[quiz: q]\n", "intro", "more"), lesson("b", "text\n", "other")]
    assert section_choices("q", lessons) == [("A", [("a#intro", "Intro"), ("a#more", "More")])]
    # Not embedded yet: every lesson's headings, grouped by lesson.
    assert [group for group, _ in section_choices("new", lessons)] == ["A", "B"]
    # A section already chosen elsewhere stays available.
    assert [group for group, _ in section_choices("q", lessons, ["b#other"])] == ["A", "B"]


# -- permissions and CSRF --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["guest", "learner", "instructor", "admin"])
def test_permission_matrix_for_the_form_editors(role):
    _, quiz = make_lesson_with_quiz()
    exercise = make_exercise()
    urls = [("get", reverse("lessons:studio_format_doc"))]
    for kind, slug in (("quiz", quiz.slug), ("exercise", exercise.slug), ("taxonomy", exercise.taxonomy.slug)):
        urls += [("get", form_url(kind)), ("get", form_url(kind, slug)), ("post", preview_url(kind, slug))]
        urls += [("post", preview_url(kind)), ("post", form_url(kind, slug))]
    client = Client()
    if role != "guest":
        client.force_login(make_user(role, instructor=role == "instructor", staff=role == "admin"))
    before = snapshot()
    for method, url in urls:
        response = getattr(client, method)(url)
        if role == "guest":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        elif role == "learner":
            assert response.status_code == 403, url
        else:
            # An empty POST is refused as bad input; a preview of it lists the problems.
            assert response.status_code in (200, 400), (url, response.status_code)
    assert snapshot() == before


@pytest.mark.django_db
def test_every_form_editor_post_needs_csrf():
    _, quiz = make_lesson_with_quiz()
    exercise = make_exercise()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("teacher", instructor=True))
    before = snapshot()
    for kind, slug in (("quiz", quiz.slug), ("exercise", exercise.slug), ("taxonomy", exercise.taxonomy.slug)):
        data = {k: v for k, v in fields_of(client, kind, slug).items() if k != "csrfmiddlewaretoken"}
        for url in (form_url(kind, slug), form_url(kind), preview_url(kind, slug), preview_url(kind)):
            assert client.post(url, data).status_code == 403, url
    assert snapshot() == before


# -- round trip and no-op saves -----------------------------------------------------------------


@pytest.mark.django_db
def test_saving_every_course_assessment_unchanged_writes_nothing_and_round_trips(course):
    client = Client()
    client.force_login(make_user("teacher", instructor=True))
    objects = [("quiz", s) for s in Quiz.objects.values_list("slug", flat=True)]
    objects += [("exercise", s) for s in Exercise.objects.values_list("slug", flat=True)]
    objects += [("taxonomy", s) for s in Taxonomy.objects.values_list("slug", flat=True)]
    assert len(objects) > 10
    for kind, slug in objects:
        text = as_text(kind, slug)
        data = fields_of(client, kind, slug)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(form_url(kind, slug), data)
        assert response.status_code == 302, (kind, slug, response.content.decode()[:2000])
        writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
        writes = [w for w in writes if "django_session" not in w and "django_message" not in w]
        assert writes == [], (kind, slug, writes)
        # form -> export -> import -> export: the same file.
        assert as_text(kind, slug) == text, (kind, slug)


# -- the quiz editor ------------------------------------------------------------------------


@pytest.fixture
def instructor(db, client):
    client.force_login(make_user("teacher", instructor=True))
    return client


def test_structural_buttons_rerender_without_writing(instructor):
    _, quiz = make_lesson_with_quiz()
    Question.objects.create(quiz=quiz, key="q5", order=9, kind="single", prompt="Old", explanation="x", retired=True)
    data = fields_of(instructor, "quiz", quiz.slug)
    before = snapshot()

    added = instructor.post(form_url("quiz", quiz.slug), {**data, "add_question": "1"})
    assert added.status_code == 200
    fields = form_fields(added.content.decode())
    assert fields["questions-TOTAL_FORMS"] == ["3"]
    assert fields["questions-2-key"] == ["q6"]  # q5 is retired: never reused
    assert re.search(r'<textarea[^>]*autofocus[^>]*id="id_questions-2-prompt"', added.content.decode())

    moved = instructor.post(form_url("quiz", quiz.slug), {**data, "move_up-1": "1"}, headers=HTMX)
    page = moved.content.decode()
    assert moved.status_code == 200 and "<html" not in page  # the editor alone, for htmx to swap
    fields = form_fields(page)
    assert fields["questions-0-key"] == ["q2"] and fields["questions-1-key"] == ["q1"]
    assert re.search(r'name="move_down-0"[^>]*autofocus', page)  # focus stays on the moved question

    choice = instructor.post(form_url("quiz", quiz.slug), {**data, "add_choice-0": "1"})
    assert form_fields(choice.content.decode())["questions-0-choices-3-key"] == ["d"]
    removed = instructor.post(form_url("quiz", quiz.slug), {**data, "remove_choice-0-2": "1"})
    assert form_fields(removed.content.decode())["questions-0-choices-TOTAL_FORMS"] == ["2"]
    gone = instructor.post(form_url("quiz", quiz.slug), {**data, "remove_question-0": "1"})
    assert form_fields(gone.content.decode())["questions-0-key"] == ["q2"]

    bad = instructor.post(form_url("quiz", quiz.slug), {**data, "move_up-7": "1"})
    assert bad.status_code == 400
    assert snapshot() == before


def test_reorder_and_save_keeps_keys_and_recorded_scores(instructor):
    _, quiz = make_lesson_with_quiz()
    first = quiz.questions.get(key="q1")
    Answer.objects.create(user=make_user("l1"), question=first, choice_ids=[1], score=1.0)
    page = instructor.get(form_url("quiz", quiz.slug)).content.decode()
    assert "Answered by 1 learner." in page
    data = fields_of(instructor, "quiz", quiz.slug)
    moved = form_fields(instructor.post(form_url("quiz", quiz.slug), {**data, "move_down-0": "1"}).content.decode())
    removed = instructor.post(form_url("quiz", quiz.slug), {**moved, "remove_question-1": "1"})
    response = instructor.post(form_url("quiz", quiz.slug), form_fields(removed.content.decode()))
    assert response.status_code == 302
    assert list(quiz.questions.filter(retired=False).values_list("key", flat=True)) == ["q2"]
    first.refresh_from_db()
    assert first.retired and Answer.objects.get().score == 1.0


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"questions-0-choices-1-correct": "on"}, "questions-0-kind", "one correct choice, not 2"),
        ({"questions-0-choices-1-feedback": ""}, "questions-0-choices-1-feedback", "Write the feedback"),
        ({"questions-1-section": "nowhere#at-all"}, "questions-1-section", "not a heading"),
        ({"pass_mark": "300"}, "pass_mark", "less than or equal to 100"),
    ],
)
def test_bad_input_is_shown_at_the_field_and_writes_nothing(instructor, change, field, message):
    _, quiz = make_lesson_with_quiz()
    data = {**fields_of(instructor, "quiz", quiz.slug), **change}
    before = snapshot()
    response = instructor.post(form_url("quiz", quiz.slug), data)
    page = response.content.decode()
    assert response.status_code == 400
    error = re.search(rf'<p class="field__error" id="id_{field}_error">([^<]*)</p>', page)
    assert error and message in error.group(1)
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error"', page) or "field--choices" in page
    summary = re.search(r'<div class="error-summary"[^>]*autofocus.*?</div>', page, re.S).group(0)
    assert f'href="#id_{field}"' in summary
    assert snapshot() == before


def test_a_section_is_picked_from_the_embedding_lessons_headings(instructor):
    lesson, quiz = make_lesson_with_quiz()
    make_lesson(order=2, slug="elsewhere", source="## Unrelated\n\nText.\n")
    page = instructor.get(form_url("quiz", quiz.slug)).content.decode()
    options = re.findall(r'<option value="([^"]*)"', page)
    assert f"{lesson.slug}#intro" in options and f"{lesson.slug}#after" in options
    assert "elsewhere#unrelated" not in options
    data = {**fields_of(instructor, "quiz", quiz.slug), "questions-0-section": f"{lesson.slug}#after"}
    assert instructor.post(form_url("quiz", quiz.slug), data).status_code == 302
    assert quiz.questions.get(key="q1").section == f"{lesson.slug}#after"


def test_a_new_quiz_starts_from_a_valid_template(instructor):
    make_lesson()
    data = fields_of(instructor, "quiz")
    assert data["questions-0-key"] == ["q1"]
    response = instructor.post(form_url("quiz"), {**data, "slug": "fresh-check", "title": "Fresh check"})
    assert response.status_code == 302 and response["Location"] == form_url("quiz", "fresh-check")
    quiz = Quiz.objects.get(slug="fresh-check")
    assert [(c.key, c.correct) for c in quiz.questions.get().choices.all()] == [("a", True), ("b", False)]
    taken = instructor.post(form_url("quiz"), {**data, "slug": "fresh-check", "title": "Again"})
    assert taken.status_code == 400 and Quiz.objects.get(slug="fresh-check").title == "Fresh check"


def test_preview_renders_the_learners_quiz_inert_and_writes_nothing(instructor):
    _, quiz = make_lesson_with_quiz()
    data = {**fields_of(instructor, "quiz", quiz.slug), "questions-0-prompt": "A preview-only prompt?"}
    before = snapshot()
    response = instructor.post(preview_url("quiz", quiz.slug), data, headers=HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert '<div class="prose preview-body" inert>' in page and 'class="quiz"' in page
    assert "A preview-only prompt?" in page
    assert snapshot() == before
    new = {k: v for k, v in fields_of(instructor, "quiz").items()}
    fresh = instructor.post(preview_url("quiz"), new).content.decode()  # no slug typed yet
    assert "Write the question here." in fresh and "inert" in fresh
    broken = instructor.post(preview_url("quiz", quiz.slug), {**data, "questions-0-prompt": ""}).content.decode()
    assert "The preview waits for 1 fix" in broken and "inert" not in broken
    assert snapshot() == before


# -- exercises and taxonomies --------------------------------------------------------------


def test_exercise_editor_derives_case_slugs_and_saves_why_not_notes(instructor):
    exercise = make_exercise(cases=1)
    data = fields_of(instructor, "exercise", exercise.slug)
    response = instructor.post(form_url("exercise", exercise.slug), {**data, "add_case": "1"})
    added = form_fields(response.content.decode())
    added.update(
        {
            "cases-1-title": "A brand new case",
            "cases-1-scenario": "What happened.",
            "cases-1-source_title": "A report",
            "cases-1-source_url": "https://example.org/report",
            "cases-1-answers": ["b"],
            "cases-1-explanation": "Why it is b.",
            "cases-1-why_not_a": "Not a, because.",
        }
    )
    response = instructor.post(form_url("exercise", exercise.slug), added)
    assert response.status_code == 302, response.content.decode()[:3000]
    case = exercise.cases.get(slug="a-brand-new-case")
    assert case.answers == ["b"] and case.why_not == {"a": "Not a, because."} and case.order == 2


def test_exercise_editor_refuses_two_answers_in_a_single_label_exercise(instructor):
    exercise = make_exercise(cases=1)
    data = {**fields_of(instructor, "exercise", exercise.slug), "cases-0-answers": ["a", "b"]}
    before = snapshot()
    response = instructor.post(form_url("exercise", exercise.slug), data)
    assert response.status_code == 400
    assert 'id="id_cases-0-answers_error">Single-label exercise' in response.content.decode()
    assert snapshot() == before


def test_taxonomy_editor_derives_slugs_and_orders_by_number(instructor):
    exercise = make_exercise(cases=1)
    slug = exercise.taxonomy.slug
    data = fields_of(instructor, "taxonomy", slug)
    added = form_fields(instructor.post(form_url("taxonomy", slug), {**data, "add_category": "1"}).content.decode())
    added.update({"categories-3-name": "Goal misgeneralisation", "categories-3-definition": "Learns the wrong goal."})
    added["categories-3-order"] = "0"  # out of range: refused at the field
    assert instructor.post(form_url("taxonomy", slug), added).status_code == 400
    added["categories-3-order"] = "1"  # ties keep the form's order, so it lands after a
    assert instructor.post(form_url("taxonomy", slug), added).status_code == 302
    assert list(exercise.taxonomy.categories.values_list("slug", flat=True)) == [
        "a",
        "goal-misgeneralisation",
        "b",
        "c",
    ]


def test_the_format_documentation_is_a_studio_page(instructor):
    page = instructor.get(reverse("lessons:studio_format_doc")).content.decode()
    assert "<h1" in page and "The course as text" in page and "quizzes/&lt;slug&gt;.toml" in page
    editor = instructor.get(form_url("quiz")).content.decode()
    assert reverse("lessons:studio_format_doc") in editor


@pytest.mark.parametrize("kind", ["quiz", "exercise", "taxonomy"])
def test_new_assessments_start_from_a_short_valid_template_in_both_editors(instructor, kind):
    import html

    make_exercise(cases=1)  # a taxonomy for the exercise to use
    page = instructor.get(reverse("lessons:studio_assessment_create", args=[kind])).content.decode()
    text = html.unescape(re.search(r'<textarea id="id_text"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    assert 0 < len(text.splitlines()) < 40
    response = instructor.post(
        reverse("lessons:studio_assessment_create", args=[kind]), {"slug": "from-text", "text": text}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    data = {**fields_of(instructor, kind), "slug": "from-form"}
    assert instructor.post(form_url(kind), data).status_code == 302
    assert as_text(kind, "from-text") == as_text(kind, "from-form")


def test_editor_queries_do_not_grow_with_the_number_of_questions(instructor):
    small = make_quiz("small", questions=2)
    big = make_quiz("big", questions=12)
    counts = []
    for quiz in (small, big):
        Answer.objects.create(user=make_user(f"l-{quiz.slug}"), question=quiz.questions.first(), choice_ids=[], score=0)
        data = fields_of(instructor, "quiz", quiz.slug)
        for method, url, payload in (
            ("get", form_url("quiz", quiz.slug), None),
            ("post", form_url("quiz", quiz.slug), {**data, "add_question": "1"}),
            ("post", preview_url("quiz", quiz.slug), data),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert getattr(instructor, method)(url, payload).status_code == 200
            counts.append(len(queries))
    # The form and its buttons: constant. The preview runs the import's upserts (a few per
    # question, rolled back), so it is bounded per question rather than constant.
    assert counts[:2] == counts[3:5] and max(counts[:2]) < 25, counts
    assert counts[5] - counts[2] <= 10 * (12 - 2), counts

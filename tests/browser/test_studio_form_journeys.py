"""The form editors in a real browser: an instructor builds a taxonomy, a quiz and an exercise
with forms and the keyboard only, embeds them in a lesson and publishes; a learner answers."""

from playwright.sync_api import expect

from lessons.models import Answer, Exercise, ExerciseAttempt, Lesson, Quiz
from tests.factories import make_user

from .conftest import assert_accessible
from .test_studio_journeys import log_in


def press(locator, key="Enter"):
    locator.focus()
    locator.press(key)


def type_into(page, field_id, text):
    field = page.locator(f"#{field_id}")
    field.focus()
    field.fill(text)


def axe_at_both_widths(page):
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def build_taxonomy(page, base):
    page.goto(base + "/studio/forms/taxonomy/new/")
    type_into(page, "id_slug", "kb-kinds")
    type_into(page, "id_name", "Kinds for the keyboard test")
    for i, name in enumerate(["Kind one", "Kind two"]):
        type_into(page, f"id_categories-{i}-name", name)
        type_into(page, f"id_categories-{i}-slug", "")  # derived from the name
        type_into(page, f"id_categories-{i}-definition", f"What {name.lower()} means.")
    expect(page.locator("#preview")).to_contain_text("Kind two")
    axe_at_both_widths(page)
    press(page.get_by_role("button", name="Save taxonomy"))
    expect(page.locator(".messages")).to_contain_text("Saved taxonomy")


def build_quiz(page, base):
    page.goto(base + "/studio/forms/quiz/new/")
    type_into(page, "id_slug", "kb-check")
    type_into(page, "id_title", "Keyboard check")
    kinds = ["single", "multiple", "true_false"]
    for i, kind in enumerate(kinds):
        if i:
            press(page.get_by_role("button", name="Add a question"))
            expect(page.locator(f"#id_questions-{i}-prompt")).to_be_focused()  # focus on the new item
        page.locator(f"#id_questions-{i}-kind").select_option(kind)
        type_into(page, f"id_questions-{i}-prompt", f"Prompt number {i + 1}?")
        type_into(page, f"id_questions-{i}-explanation", f"Explanation number {i + 1}.")
        texts = {"true_false": ["True", "False"]}.get(kind, [f"Right {i + 1}", f"Wrong {i + 1}"])
        for j, text in enumerate(texts):
            type_into(page, f"id_questions-{i}-choices-{j}-text", text)
            type_into(page, f"id_questions-{i}-choices-{j}-feedback", f"Feedback {i + 1}.{j + 1}")
    # The multiple-choice question gets a third choice, also correct.
    press(page.get_by_role("button", name="Add a choice to question 2"))
    expect(page.locator("#id_questions-1-choices-2-text")).to_be_focused()
    type_into(page, "id_questions-1-choices-2-text", "Also right 2")
    type_into(page, "id_questions-1-choices-2-feedback", "Feedback 2.3")
    press(page.locator("#id_questions-1-choices-2-correct"), "Space")
    # Reorder: move the new choice up, focus stays on it.
    press(page.get_by_role("button", name="Move up choice 3 of question 2"))
    expect(page.get_by_role("button", name="Move up choice 2 of question 2")).to_be_focused()
    expect(page.locator("#preview .quiz")).to_contain_text("Also right 2")
    axe_at_both_widths(page)
    press(page.get_by_role("button", name="Save quiz"))
    expect(page.locator(".messages")).to_contain_text("Saved quiz")
    quiz = Quiz.objects.get(slug="kb-check")
    assert [q.kind for q in quiz.questions.all()] == kinds
    assert [c.key for c in quiz.questions.get(key="q2").choices.all()] == ["a", "c", "b"]


def build_exercise(page, base):
    page.goto(base + "/studio/forms/exercise/new/")
    type_into(page, "id_slug", "kb-sort")
    type_into(page, "id_title", "Keyboard sort")
    page.locator("#id_taxonomy").select_option("kb-kinds")
    press(page.get_by_role("button", name="Show this taxonomy's categories"))
    expect(page.locator("label[for=id_cases-0-answers_1]")).to_contain_text("Kind two")  # swapped in
    for i in range(4):
        if i:  # the new exercise's template already holds one case
            press(page.get_by_role("button", name="Add a case"))
            expect(page.locator(f"#id_cases-{i}-title")).to_be_focused()
        type_into(page, f"id_cases-{i}-slug", "")  # derived from the title
        type_into(page, f"id_cases-{i}-title", f"Case number {i + 1}")
        type_into(page, f"id_cases-{i}-scenario", f"Scenario number {i + 1}.")
        type_into(page, f"id_cases-{i}-source_title", "A source")
        type_into(page, f"id_cases-{i}-source_url", "https://example.org/source")
        for n in (0, 1):  # tick the case's category, untick the other (Space toggles)
            box = page.locator(f"#id_cases-{i}-answers_{n}")
            if box.is_checked() != (n == i % 2):
                press(box, "Space")
        type_into(page, f"id_cases-{i}-explanation", f"Why case {i + 1} fits.")
    expect(page.locator("#preview .exercise")).to_contain_text("Case number 4")
    axe_at_both_widths(page)
    press(page.get_by_role("button", name="Save exercise"))
    expect(page.locator(".messages")).to_contain_text("Saved exercise")
    exercise = Exercise.objects.get(slug="kb-sort")
    assert [c.slug for c in exercise.cases.all()] == [f"case-number-{n}" for n in range(1, 5)]
    assert [c.answers for c in exercise.cases.all()] == [["kind-one"], ["kind-two"], ["kind-one"], ["kind-two"]]


def test_instructor_builds_assessments_with_forms_and_a_learner_answers(page, browser, live_course, csp_errors):
    make_user("teacher", instructor=True)
    base = live_course.url
    log_in(page, base, "teacher")
    build_taxonomy(page, base)
    build_quiz(page, base)
    build_exercise(page, base)

    lesson = Lesson.objects.get(slug="what-is-alignment")
    page.goto(base + f"/studio/lessons/{lesson.pk}/")
    source = page.locator("#id_source")
    source.focus()
    source.fill(source.input_value() + "\n\n[quiz: kb-check]\n\n[exercise: kb-sort]\n")
    press(page.get_by_role("button", name="Publish", exact=True))
    expect(page.locator(".messages")).to_contain_text("Published")

    learner = browser.new_page()
    learner.goto(base + lesson.get_absolute_url())
    quiz = learner.locator("#quiz-kb-check")
    first = quiz.locator(".question").first
    press(first.get_by_label("Right 1"), "Space")
    press(first.get_by_role("button", name="Check answer"))
    expect(quiz.locator(".question").first).to_have_attribute("data-outcome", "correct")
    exercise = learner.locator("#exercise-kb-sort")
    for n in range(1, 5):
        card = exercise.locator(".card", has_text=f"Case number {n}")
        press(card.get_by_label("Kind one" if n % 2 else "Kind two"), "Space")
    press(exercise.get_by_role("button", name="Check"))
    expect(learner.locator("#exercise-kb-sort")).to_have_attribute("data-outcome", "correct")
    assert Answer.objects.filter(question__quiz__slug="kb-check").count() == 1
    assert ExerciseAttempt.objects.get(exercise__slug="kb-sort").score == 1.0
    assert not csp_errors


def test_quiz_editor_buttons_work_without_javascript(browser, live_course):
    make_user("teacher", instructor=True)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_course.url, "teacher")
    quiz = Quiz.objects.order_by("slug").first()
    count = quiz.questions.filter(retired=False).count()
    page.goto(live_course.url + f"/studio/forms/quiz/{quiz.slug}/")
    press(page.get_by_role("button", name="Add a question"))
    # A full page came back with the new question, its prompt focused (autofocus).
    expect(page.locator(f"#id_questions-{count}-prompt")).to_be_focused()
    press(page.get_by_role("button", name=f"Move up question {count + 1}"))
    expect(page.get_by_role("button", name=f"Move up question {count}")).to_be_focused()
    press(page.get_by_role("button", name="Save quiz"))
    # The new question is still empty: nothing saved, the summary is focused and links to the field.
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link").first).to_have_attribute("href", f"#id_questions-{count - 1}-prompt")
    assert quiz.questions.filter(retired=False).count() == count
    context.close()

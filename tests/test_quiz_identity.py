"""Quiz edits never re-point learners' answers: questions and choices are matched by key.

Each edit (reorder, swap choices, insert in the middle, delete the middle, reword) runs
through import_course and through the studio's quiz editor; afterwards every answer still
refers to the same question and choices, shows the texts the learner saw, keeps its score,
and no pick row is gone.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from lessons.actions import record_answer
from lessons.grading import GradingError
from lessons.learners import Learner
from lessons.models import Answer, Choice, Question, Quiz, answer_as_seen, snapshot_picks

from .factories import make_user

BASE = [
    ("q1", "First prompt?", [("a", "One right", True), ("b", "One wrong", False), ("c", "One other", False)]),
    ("q2", "Second prompt?", [("a", "Two right", True), ("b", "Two wrong", False), ("c", "Two other", False)]),
    ("q3", "Third prompt?", [("a", "Three right", True), ("b", "Three wrong", False), ("c", "Three other", False)]),
]


def quiz_toml(questions) -> str:
    out = ['title = "Check"\npass_mark = 70\n']
    for key, prompt, choices, *kind in questions:
        out.append(
            f'\n[[questions]]\nkey = "{key}"\nkind = "{kind[0] if kind else "single"}"\nprompt = "{prompt}"\n'
            f'explanation = "Why {key}."\nsection = "l#intro"\n'
        )
        for ckey, text, correct in choices:
            out.append(
                f'\n[[questions.choices]]\nkey = "{ckey}"\ntext = "{text}"\n'
                f'correct = {"true" if correct else "false"}\nfeedback = "About {text}."\n'
            )
    return "".join(out)


def reorder(questions):
    return [questions[2], questions[0], questions[1]]


def swap_choices(questions):
    key, prompt, choices = questions[0]
    return [(key, prompt, [choices[1], choices[0], choices[2]]), *questions[1:]]


def insert_middle(questions):
    new = ("q4", "Inserted prompt?", [("a", "New right", True), ("b", "New wrong", False)])
    return [questions[0], new, *questions[1:]]


def delete_middle(questions):
    return [questions[0], questions[2]]


def reword_choice(questions):
    key, prompt, choices = questions[0]
    reworded = [(choices[0][0], "One right, reworded", True), *choices[1:]]
    return [(key, "First prompt, reworded?", reworded), *questions[1:]]


EDITS = {
    "reorder": reorder,
    "swap-choices": swap_choices,
    "insert-middle": insert_middle,
    "delete-middle": delete_middle,
    "reword": reword_choice,
}


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "01-p" / "quizzes").mkdir(parents=True)
    (tmp_path / "course.toml").write_text('title = "Mini"\n')
    (tmp_path / "01-p" / "part.toml").write_text('number = 1\nslug = "p"\ntitle = "P"\n')
    (tmp_path / "01-p" / "01-l.md").write_text(
        '+++\ntitle = "L"\nslug = "l"\nstatus = "published"\n+++\n\n## Intro\n\nText.\n\n[quiz: check]\n'
    )
    write_quiz(tmp_path, BASE)
    return tmp_path


def write_quiz(tree, questions):
    (tree / "01-p" / "quizzes" / "check.toml").write_text(quiz_toml(questions))


def run_import(tree, *args) -> str:
    out = StringIO()
    call_command("import_course", str(tree), *args, stdout=out)
    return out.getvalue()


def pick(user, question_key, choice_key) -> Answer:
    question = Question.objects.get(quiz__slug="check", key=question_key)
    return record_answer(Learner(user.pk, ""), question, [question.choices.get(key=choice_key)])


def answered():
    """Two learners: one right everywhere, one wrong everywhere (score 0)."""
    right, wrong = make_user("right"), make_user("wrong")
    for key in ("q1", "q2", "q3"):
        pick(right, key, "a")
        pick(wrong, key, "b")
    return right, wrong


def history():
    """Per answer: what it refers to (by key) and what it shows, as comparable values."""
    rows = Answer.objects.select_related("question").prefetch_related("picks").order_by("id")
    return [
        (
            a.pk,
            a.question.key,
            a.question_id,
            a.prompt_seen,
            tuple(a.picked_texts),
            tuple(p["correct"] for p in a.picked_seen),
            tuple(sorted((c.pk, c.key) for c in a.picks.all())),
            tuple(a.choice_ids),
            a.score,
        )
        for a in rows
    ]


def assert_history_kept(before):
    assert history() == before
    assert Answer.picks.through.objects.count() == 6
    for answer in Answer.objects.prefetch_related("picks"):
        # the ids the learner submitted still name rows of the question they answered
        assert {c.pk for c in answer.picks.all()} == set(answer.choice_ids)
        assert all(c.question_id == answer.question_id for c in answer.picks.all())
        assert [p["text"] for p in answer.picked_seen] == [
            BASE[int(answer.question.key[1]) - 1][2]["abc".index(c.key)][1] for c in answer.picks.all()
        ]


@pytest.mark.parametrize("edit", EDITS)
def test_import_edits_keep_every_answer(db, tree, edit):
    run_import(tree)
    right, wrong = answered()
    before = history()
    write_quiz(tree, EDITS[edit](BASE))
    run_import(tree)
    assert_history_kept(before)
    expected_keys = [q[0] for q in EDITS[edit](BASE)]
    active = Question.objects.active().filter(quiz__slug="check")
    assert list(active.values_list("key", flat=True)) == expected_keys  # in the file's order
    assert list(active.values_list("order", flat=True)) == list(range(1, len(expected_keys) + 1))
    retired = set(Question.objects.filter(retired=True).values_list("key", flat=True))
    assert retired == ({"q2"} if edit == "delete-middle" else set())


@pytest.mark.parametrize("edit", EDITS)
def test_studio_edits_keep_every_answer(db, tree, edit):
    run_import(tree)
    right, wrong = answered()
    before = history()
    instructor = Client()
    instructor.force_login(make_user("teacher", instructor=True))
    url = reverse("lessons:studio_assessment_edit", args=["quiz", "check"])
    response = instructor.post(url, {"text": quiz_toml(EDITS[edit](BASE))})
    assert response.status_code == 302
    assert_history_kept(before)
    expected_keys = [q[0] for q in EDITS[edit](BASE)]
    assert list(Question.objects.active().values_list("key", flat=True)) == expected_keys
    retired = set(Question.objects.filter(retired=True).values_list("key", flat=True))
    assert retired == ({"q2"} if edit == "delete-middle" else set())
    page = instructor.get(url).content.decode()
    assert ("Retired question (key q2, never reuse it): 2 attempts" in page) == (edit == "delete-middle")


def test_swapped_choices_do_not_make_a_wrong_answer_look_right(db, tree):
    run_import(tree)
    right, wrong = answered()
    write_quiz(tree, swap_choices(BASE))
    run_import(tree)
    q1 = Question.objects.get(key="q1")
    assert list(q1.choices.values_list("key", "order")) == [("b", 1), ("a", 2), ("c", 3)]
    answer = Answer.objects.get(user=wrong, question=q1)
    assert answer.score == 0.0 and answer.picks.get().key == "b" and answer.picked_seen[0]["correct"] is False
    admin = Client()
    admin.force_login(make_user("boss", staff=True))
    html = admin.get(reverse("lessons:report_learner", args=[wrong.pk])).content.decode()
    assert "One wrong" in html and "One right" not in html


def test_reworded_texts_show_as_the_learner_saw_them(db, tree, client):
    run_import(tree)
    right, _ = answered()
    write_quiz(tree, reword_choice(BASE))
    run_import(tree)
    assert Choice.objects.get(question__key="q1", key="a").text == "One right, reworded"
    client.force_login(right)
    data = client.get(reverse("lessons:export_json")).json()
    first = next(a for a in data["answers"] if a["question"] == "q1")
    assert first["prompt"] == "First prompt?" and [p["text"] for p in first["picked"]] == ["One right"]
    csv_text = b"".join(client.get(reverse("lessons:export_csv")).streaming_content).decode()
    assert "One right" in csv_text and "reworded" not in csv_text
    admin = Client()
    admin.force_login(make_user("boss", staff=True))
    html = admin.get(reverse("lessons:report_learner", args=[right.pk])).content.decode()
    assert "First prompt?" in html and "reworded" not in html
    attempts = b"".join(admin.get(reverse("lessons:report_attempts_csv")).streaming_content).decode()
    assert "check q1" in attempts and "One right" in attempts and "reworded" not in attempts
    # a new answer records the new wording
    pick(right, "q1", "a")
    assert Answer.objects.filter(user=right, question__key="q1").first().picked_texts == ["One right, reworded"]


def test_a_picked_choice_that_leaves_is_retired_and_comes_back_by_key(db, tree):
    run_import(tree)
    _, wrong = answered()
    key, prompt, choices = BASE[0]
    write_quiz(tree, [(key, prompt, [choices[0], choices[2]]), *BASE[1:]])  # "b" (picked) leaves
    output = run_import(tree)
    b = Choice.objects.get(question__key="q1", key="b")
    assert b.retired and b.picked_in.count() == 1 and "choice: " in output and "1 retired" in output
    # never offered or graded again
    quiz = Quiz.objects.for_display().get(slug="check")
    assert [c.key for c in quiz.active_questions[0].choices.all()] == ["a", "c"]
    extra = ("d", "One more", False)
    write_quiz(tree, [(key, prompt, [choices[0], extra]), *BASE[1:]])  # "c" (never picked) leaves: deleted
    run_import(tree)
    assert not Choice.objects.filter(question__key="q1", key="c").exists()
    write_quiz(tree, [(key, prompt, [choices[0], choices[1], extra]), *BASE[1:]])  # "b" comes back by key
    run_import(tree)
    again = Choice.objects.get(question__key="q1", key="b")
    assert again.pk == b.pk and not again.retired and again.order == 2


def test_a_retired_question_comes_back_by_key(db, tree):
    run_import(tree)
    answered()
    q2 = Question.objects.get(key="q2")
    write_quiz(tree, delete_middle(BASE))
    run_import(tree)
    write_quiz(tree, BASE)
    run_import(tree)
    q2.refresh_from_db()
    assert not q2.retired and q2.order == 2 and q2.answers.count() == 2


def test_an_unanswered_question_that_leaves_is_deleted(db, tree):
    run_import(tree)
    write_quiz(tree, delete_middle(BASE))
    assert "question: " in run_import(tree)
    assert not Question.objects.filter(key="q2").exists()
    assert list(Question.objects.values_list("key", "order")) == [("q1", 1), ("q3", 2)]


def test_export_leaves_out_retired_choices(db, tree, tmp_path):
    run_import(tree)
    answered()
    key, prompt, choices = BASE[0]
    write_quiz(tree, [(key, prompt, [choices[0], choices[2]]), *BASE[1:]])
    run_import(tree)
    out = tmp_path / "exported"
    call_command("export_course", str(out), stdout=StringIO())
    text = next(out.rglob("check.toml")).read_text()
    assert "One wrong" not in text and "One other" in text and "Two wrong" in text


def test_the_grader_ignores_retired_choices(db, tree, client):
    run_import(tree)
    _, wrong = answered()
    key, prompt, choices = BASE[0]
    write_quiz(tree, [(key, prompt, [choices[0], choices[2]]), *BASE[1:]])
    run_import(tree)
    lesson_url = reverse("lessons:lesson_detail", args=["p", "l"])
    html = client.get(lesson_url).content.decode()
    assert "One wrong" not in html and "One other" in html
    from lessons.forms import choice_token

    retired = Choice.objects.get(question__key="q1", key="b")
    q1 = Question.objects.get(key="q1")
    url = reverse("lessons:question_answer", args=["p", "l", q1.pk])
    count = Answer.objects.count()
    response = client.post(url, {"choice": choice_token(retired.pk)})
    assert response.status_code == 400 and Answer.objects.count() == count


def test_a_retired_correct_choice_no_longer_counts_as_right(db, tree):
    several = (
        "q1",
        "Pick all right?",
        [("a", "Right A", True), ("b", "Right B", True), ("c", "Wrong", False)],
        "multiple",
    )
    write_quiz(tree, [several])
    run_import(tree)
    user = make_user()
    pick(user, "q1", "b")  # b is picked, so removing it retires it
    write_quiz(
        tree, [("q1", "Pick all right?", [several[2][0], ("c", "Wrong", False), ("d", "Right D", True)], "multiple")]
    )
    run_import(tree)
    question = Question.objects.get(key="q1")
    retired = question.choices.get(key="b")
    assert retired.retired
    learner = Learner(user.pk, "")
    both = [question.choices.get(key="a"), question.choices.get(key="d")]
    assert record_answer(learner, question, both).score == 1.0  # not 2/3: b is no longer an option
    with pytest.raises(GradingError):
        record_answer(learner, question, [retired])
    assert Answer.objects.count() == 2


def test_snapshots_are_plain_values():
    class Row:
        def __init__(self, pk, key, text, correct):
            self.pk, self.key, self.text, self.correct = pk, key, text, correct

    picked = snapshot_picks([Row(7, "b", "Text *b*", 0)])
    assert picked == [{"id": 7, "key": "b", "text": "Text *b*", "correct": False}]
    assert answer_as_seen("Prompt?", picked) == {
        "prompt": "Prompt?",
        "picked": [{"key": "b", "text": "Text *b*", "correct": False}],
    }
    # a backfilled pick whose choice was gone before the snapshot existed
    gone = {"id": 9, "key": "", "text": "", "correct": None}
    assert answer_as_seen("P", [gone])["picked"] == [{"key": "", "text": "", "correct": None}]

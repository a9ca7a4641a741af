"""The course's quizzes measure knowledge, not test-wiseness.

Each test plays one naive strategy a test-wise learner might use against the whole course
source and fails when it does clearly better than chance: picking the longest choice, always
answering True (or False), assuming a fixed number of right answers in multiple select, or
treating absolute words ("always", "never", "only", ...) as the mark of a wrong choice.
Pure: reads fixtures/course with no database.
"""

import re
from collections import Counter, defaultdict
from pathlib import Path

from lessons.course_source import read_course

COURSE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "course"
# How far above chance the longest-choice strategy may score before the course fails:
# the whole course must stay close to chance; one part (about 25 questions) gets more slack.
LONGEST_TOLERANCE_OVERALL = 0.08
LONGEST_TOLERANCE_PER_PART = 0.15
ABSOLUTE_WORDS = re.compile(
    r"\b(always|never|only|guarantee[sd]?|guaranteed|impossible|completely|entirely|every|none|"
    r"nothing|cannot|can't|all|any|solely|perfectly|certainly|must)\b",
    re.IGNORECASE,
)

COURSE = read_course(COURSE_DIR)


def _part(quiz) -> str:
    return quiz.path.parent.parent.name


def _questions(kind):
    return [(quiz, question) for quiz in COURSE.quizzes for question in quiz.questions if question.kind == kind]


def longest_choice_rates(questions) -> tuple[float, float]:
    """(share of single-choice questions where a longest choice is right, chance rate of guessing).

    A tie for longest counts as a win for the strategy only in proportion: picking at random
    among k tied choices of which one is right scores 1/k.
    """
    wins = 0.0
    chance = 0.0
    for question in questions:
        lengths = [len(choice.text.strip()) for choice in question.choices]
        longest = [choice for choice, length in zip(question.choices, lengths, strict=True) if length == max(lengths)]
        wins += sum(choice.correct for choice in longest) / len(longest)
        chance += 1 / len(question.choices)
    return wins / len(questions), chance / len(questions)


def test_longest_choice_is_no_better_than_chance_overall():
    singles = [question for _, question in _questions("single")]
    assert len(singles) > 50
    rate, chance = longest_choice_rates(singles)
    assert rate <= chance + LONGEST_TOLERANCE_OVERALL, f"longest choice right {rate:.0%}, chance {chance:.0%}"


def test_longest_choice_is_no_better_than_chance_in_any_part():
    by_part = defaultdict(list)
    for quiz, question in _questions("single"):
        by_part[_part(quiz)].append(question)
    assert len(by_part) == len(COURSE.parts)
    for part, questions in by_part.items():
        rate, chance = longest_choice_rates(questions)
        assert rate <= chance + LONGEST_TOLERANCE_PER_PART, f"{part}: longest right {rate:.0%}, chance {chance:.0%}"


def test_true_false_answers_are_balanced():
    answers = Counter(
        next(choice.text.strip() for choice in question.choices if choice.correct)
        for _, question in _questions("true_false")
    )
    total = sum(answers.values())
    assert total >= 20 and set(answers) <= {"True", "False"}
    assert 0.35 <= answers["True"] / total <= 0.65, answers


def test_multiple_select_has_no_typical_number_of_right_choices():
    counts = Counter(sum(choice.correct for choice in question.choices) for _, question in _questions("multiple"))
    total = sum(counts.values())
    assert total >= 20
    most_common, seen = counts.most_common(1)[0]
    assert seen <= total / 2, f"{seen} of {total} multiple-select questions have {most_common} right choices"
    # Every multiple-select question offers at least one wrong choice, so "pick everything" loses.
    for quiz, question in _questions("multiple"):
        assert any(not choice.correct for choice in question.choices), f"{quiz.slug} {question.key}"


def _absolute_rate(statements: list[str]) -> float:
    return sum(bool(ABSOLUTE_WORDS.search(text)) for text in statements) / len(statements)


def test_absolute_words_do_not_mark_wrong_answers():
    """A statement with "always", "only", "never"... must not be likelier to be wrong than right.

    Statements are choices of single and multiple questions, and true/false prompts (a true
    statement is a right answer, a false one a wrong answer). Allowed slack: 5 points.
    """
    right: list[str] = []
    wrong: list[str] = []
    for quiz in COURSE.quizzes:
        for question in quiz.questions:
            if question.kind == "true_false":
                is_true = next(c.text.strip() for c in question.choices if c.correct) == "True"
                (right if is_true else wrong).append(question.prompt)
            else:
                for choice in question.choices:
                    (right if choice.correct else wrong).append(choice.text)
    right_rate, wrong_rate = _absolute_rate(right), _absolute_rate(wrong)
    assert wrong_rate <= right_rate + 0.05, f"absolute words in {wrong_rate:.0%} of wrong, {right_rate:.0%} of right"


def test_longest_choice_rates_counts_ties_fairly():
    class Choice:
        def __init__(self, text, correct):
            self.text, self.correct = text, correct

    class Question:
        def __init__(self, *choices):
            self.choices = list(choices)

    tied = Question(Choice("aaaa", True), Choice("bbbb", False), Choice("c", False), Choice("d", False))
    clear = Question(Choice("a", False), Choice("bbbbbb", True))
    rate, chance = longest_choice_rates([tied, clear])
    assert rate == (0.5 + 1) / 2
    assert chance == (0.25 + 0.5) / 2

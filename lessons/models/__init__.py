"""The course's models, split by concept; import them from here."""

from .assessment import (
    Answer,
    Case,
    CasePick,
    Category,
    Choice,
    Exercise,
    ExerciseAttempt,
    Question,
    Quiz,
    Taxonomy,
    answer_as_seen,
    snapshot_picks,
)
from .certificates import Certificate
from .course import Course, Lesson, LessonRevision, Part
from .progress import Cohort, LessonProgress
from .stats import (
    CheckStatus,
    ChoiceStats,
    ConfusionCount,
    DailyScores,
    LearnerSummary,
    PartSummary,
    QuestionStats,
)

__all__ = [
    "CheckStatus",
    "ChoiceStats",
    "ConfusionCount",
    "DailyScores",
    "LearnerSummary",
    "PartSummary",
    "QuestionStats",
    "Answer",
    "Case",
    "Certificate",
    "CasePick",
    "Category",
    "Choice",
    "Cohort",
    "Course",
    "Exercise",
    "ExerciseAttempt",
    "Lesson",
    "LessonProgress",
    "LessonRevision",
    "Part",
    "Question",
    "Quiz",
    "Taxonomy",
    "answer_as_seen",
    "snapshot_picks",
]

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
from .course import ContentVersion, Course, Lesson, LessonRevision, Part
from .progress import Cohort, LessonProgress
from .review import ReviewCard, ReviewLog
from .sandbox import Sandbox, SandboxAttempt
from .summaries import (
    CheckStatus,
    ChoiceStats,
    ConfusionCount,
    DailyScores,
    LearnerSummary,
    PartSummary,
    QuestionStats,
    daily_shard,
)

__all__ = [
    "CheckStatus",
    "ChoiceStats",
    "ConfusionCount",
    "DailyScores",
    "LearnerSummary",
    "PartSummary",
    "QuestionStats",
    "daily_shard",
    "ReviewCard",
    "ReviewLog",
    "Answer",
    "Sandbox",
    "SandboxAttempt",
    "Case",
    "Certificate",
    "CasePick",
    "Category",
    "Choice",
    "Cohort",
    "ContentVersion",
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

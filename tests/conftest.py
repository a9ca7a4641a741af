from io import StringIO
from pathlib import Path

import pytest
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test.utils import override_settings

COURSE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "course"


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Tests make many accounts; the real hasher is slow on purpose."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def course_models():
    from lessons.models import (
        Case,
        Category,
        Choice,
        Course,
        Exercise,
        Lesson,
        LessonRevision,
        Part,
        Question,
        Quiz,
        Sandbox,
        Taxonomy,
    )

    # In an order that satisfies foreign keys when the rows are loaded back.
    return [Course, Part, Lesson, LessonRevision, Quiz, Question, Choice, Taxonomy, Category, Exercise, Case, Sandbox]


@pytest.fixture(scope="session")
def course_rows(django_db_setup, django_db_blocker) -> str:
    """The real course imported once per test session, kept as serialized rows (the
    import itself is rolled back, so tests that do not ask for the course start empty)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("import_course", str(COURSE_DIR), stdout=StringIO())
        rows = serializers.serialize("json", (obj for model in course_models() for obj in model.objects.all()))
        transaction.set_rollback(True)
    return rows


def load_course(rows: str) -> None:
    for obj in serializers.deserialize("json", rows):
        obj.save()
    # Rows came with their ids: move PostgreSQL's sequences past them, as loaddata does.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), course_models()):
            cursor.execute(sql)


@pytest.fixture
def course(db, course_rows):
    """The real course, as import_course makes it from fixtures/course."""
    load_course(course_rows)


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Rate-limit counters and the page cache live in the cache, and every test rolls its
    rows back (so content version numbers repeat): each test starts with an empty cache."""
    from django.core.cache import cache

    from lessons import page_cache

    cache.clear()
    page_cache.clear_local()
    yield
    cache.clear()
    page_cache.clear_local()

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

COURSE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "course"


@pytest.fixture
def course(db):
    """The real course, imported from fixtures/course."""
    call_command("import_course", str(COURSE_DIR), stdout=StringIO())


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()

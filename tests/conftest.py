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

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

COURSE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "course"


@pytest.fixture
def course(db):
    """The real course, imported from fixtures/course."""
    call_command("import_course", str(COURSE_DIR), stdout=StringIO())

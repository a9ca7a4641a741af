"""python manage.py export_course PATH: write the course from the database as text files."""

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lessons.actions import course_data_from_database
from lessons.course_source import write_course


class Command(BaseCommand):
    help = "Write the whole course in the fixtures/course format (the inverse of import_course)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--force", action="store_true", help="Replace PATH if it already exists.")

    def handle(self, *args, path, force=False, **options):
        target = Path(path)
        if target.exists() and any(target.iterdir()):
            if not force:
                raise CommandError(f"{target} is not empty; use --force to replace it.")
            shutil.rmtree(target)
        files = write_course(course_data_from_database(), target)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(files)} files to {target}."))

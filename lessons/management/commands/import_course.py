"""python manage.py import_course [PATH]: load the course text into the database."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lessons.actions import import_course
from lessons.course_source import CourseSourceError, read_course
from lessons.markdown import render_budget


class Command(BaseCommand):
    help = "Create or update the course from its text files (default: fixtures/course). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(Path(settings.BASE_DIR) / "fixtures" / "course"))
        parser.add_argument(
            "--rerender",
            action="store_true",
            help="Save every row again so stored HTML is recomputed (after upgrading the Markdown pipeline).",
        )
        parser.add_argument(
            "--overwrite-studio-edits",
            action="store_true",
            help="Replace lessons edited in the studio since the last import with the files' text "
            "(by default the studio version is kept and the conflict reported).",
        )

    def handle(self, *args, path, rerender=False, overwrite_studio_edits=False, **options):
        try:
            with render_budget(settings.MARKDOWN_IMPORT_BUDGET_SECONDS):
                report = import_course(
                    read_course(path), rerender=rerender, overwrite_studio_edits=overwrite_studio_edits
                )
        except CourseSourceError as exc:
            message = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"The course was not imported; nothing was changed.\n{message}") from exc
        self.stdout.write(report.summary())
        for conflict in report.conflicts:
            self.stdout.write(self.style.WARNING(conflict))
        done = "Course imported." if report.changed else "Course already up to date."
        kept = len(report.kept_studio)
        if kept:
            done += f" {kept} lesson{'s' if kept > 1 else ''} kept as edited in the studio (listed above)."
        self.stdout.write(self.style.SUCCESS(done))

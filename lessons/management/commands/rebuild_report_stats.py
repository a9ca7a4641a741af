"""python manage.py rebuild_report_stats: recompute every report summary from the raw rows."""

from django.core.management.base import BaseCommand

from lessons.summaries import rebuild_all


class Command(BaseCommand):
    help = "Recompute learner, part, check, item and confusion summaries from answers and progress."

    def handle(self, *args, **options):
        rebuild_all()
        self.stdout.write(self.style.SUCCESS("Report summaries rebuilt."))

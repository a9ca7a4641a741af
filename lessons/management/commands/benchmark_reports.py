"""python manage.py benchmark_reports: time every report page at 100 and at 10,000 learners.

Seeds synthetic learners with seed_load (replacing earlier ones), then renders each report
page through Django's test client as a staff user and prints the median of five runs, with
the ratio to the smallest size. The goal: at 10,000 learners each page within 5x its time
at 100. Run it on a development database: it creates and deletes users named load-*.
"""

import statistics
import time
from io import StringIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from lessons.models import Quiz, Taxonomy


class Command(BaseCommand):
    help = "Time each report page at several learner counts (default 100 and 10000)."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, sizes, runs, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("This creates synthetic users; run it on a development database (or --force).")
        User = get_user_model()
        staff, _ = User.objects.get_or_create(username="benchmark-admin", defaults={"is_staff": True})
        quiz = Quiz.objects.order_by("slug").first()
        taxonomy = Taxonomy.objects.order_by("slug").first()
        if quiz is None or taxonomy is None:
            raise CommandError("Import the course first: python manage.py import_course")
        results: dict[str, list[float]] = {}
        for size in sizes:
            self.stdout.write(f"Seeding {size} learners…")
            call_command("seed_load", "--learners", str(size), "--replace", stdout=StringIO())
            learner = User.objects.filter(username__startswith="load-").order_by("pk").first()
            pages = {
                "overview": reverse("lessons:report_overview"),
                "learners": reverse("lessons:report_learners"),
                "learner": reverse("lessons:report_learner", args=[learner.pk]),
                "attention": reverse("lessons:report_attention"),
                "item analysis": reverse("lessons:report_quiz", args=[quiz.slug]),
                "confusion": reverse("lessons:report_taxonomy", args=[taxonomy.slug]),
            }
            client = Client()
            client.force_login(staff)
            with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
                for name, url in pages.items():
                    client.get(url)  # warm up
                    timings = []
                    for _ in range(runs):
                        started = time.perf_counter()
                        response = client.get(url)
                        timings.append(time.perf_counter() - started)
                        assert response.status_code == 200, (url, response.status_code)
                    results.setdefault(name, []).append(statistics.median(timings))
            reset_queries()
        header = "page".ljust(16) + "".join(f"{s:>12,}" for s in sizes) + "   ratio"
        self.stdout.write(f"\nReport times (median of {runs}, {connection.vendor}):\n{header}")
        worst = 0.0
        for name, times in results.items():
            ratio = times[-1] / times[0] if times[0] else 0
            worst = max(worst, ratio)
            cells = "".join(f"{t * 1000:>10.1f}ms" for t in times)
            self.stdout.write(f"{name.ljust(16)}{cells}   {ratio:5.1f}x")
        verdict = "within" if worst <= 5 else "OVER"
        self.stdout.write(f"\nLargest ratio {worst:.1f}x: {verdict} the 5x goal.")

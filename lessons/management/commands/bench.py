"""python manage.py bench: serve the site with gunicorn and measure it with wrk.

Starts gunicorn (2 workers, production settings, DJANGO_BENCHMARK=1 for the bare view)
on a free port and, in one interleaved run (every target once per round, for several
rounds), measures:

    bare      a view that returns "ok", through the same middleware
    guest     the heaviest lesson page, no cookie
    guest-gzip  the same with Accept-Encoding: gzip (compressing ~85 KB costs more than
                serving it; for information, the ratios above are without, as wrk sends)
    learner   the same page for a signed-in learner with some answers
    outline   the course outline for that learner
    answer    an answer POST round trip (htmx fragment; CSRF token and session cookie)

Each figure is printed as requests per second and as a ratio to the bare view. It runs on
a SQLite file of its own and then, when DATABASE_URL is set, on that database too (where
it creates users named bench-*). `--seconds 1 --rounds 1` is the smoke run CI uses.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

TARGETS = ["bare", "guest", "guest-gzip", "learner", "outline", "answer"]
GOALS = {"guest": 0.35, "learner": 0.2, "answer": 0.1}
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-4f8a2c9e1b7d3f6a0c5e8b2d",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_BENCHMARK": "1",
    # The answer figure measures answering, not the per-account rate limit refusing it.
    "DJANGO_ANSWER_RATE_LIMIT": "1000000000",
}
ANSWERING_LEARNERS = 20

POST_SCRIPT = """
local entries = %(entries)s
local i = 0
request = function()
  i = i %% #entries + 1
  local e = entries[i]
  return wrk.format("POST", e.path, {
    ["Cookie"] = e.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["HX-Request"] = "true",
  }, e.body)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "Benchmark the learner pages against a bare view with gunicorn and wrk."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=5, help="Length of each measurement.")
        parser.add_argument("--rounds", type=int, default=3, help="Rounds of the interleaved run.")
        parser.add_argument("--connections", type=int, default=4)
        parser.add_argument("--prepare", metavar="JSON", help=argparse.SUPPRESS)  # internal step

    def handle(self, *args, seconds, rounds, connections, prepare=None, **options):
        if prepare:
            self._prepare(Path(prepare))
            return
        if not shutil.which("wrk"):
            raise CommandError("wrk is not installed: apt-get install wrk (make bench does it when root)")
        base = Path(settings.BASE_DIR)
        databases = [("SQLite", f"sqlite:///{base / '.bench.sqlite3'}")]
        if os.environ.get("DATABASE_URL"):
            databases.append(("DATABASE_URL", os.environ["DATABASE_URL"]))
        failed = False
        for label, url in databases:
            failed |= self._run(label, url, seconds, rounds, connections)
        if failed:
            raise CommandError("some requests failed (see above)")

    # -- one database ------------------------------------------------------------------

    def _run(self, label: str, url: str, seconds: float, rounds: int, connections: int) -> bool:
        env = {**os.environ, **PRODUCTION_ENV, "DATABASE_URL": url}
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        for step in (["migrate", "--noinput"], ["import_course"], ["collectstatic", "--noinput"]):
            subprocess.run([*manage, *step, "--verbosity", "0"], env=env, check=True, stdout=subprocess.DEVNULL)
        with tempfile.TemporaryDirectory() as tmp:
            plan_file = Path(tmp) / "plan.json"
            subprocess.run([*manage, "bench", "--prepare", str(plan_file)], env=env, check=True)
            plan = json.loads(plan_file.read_text())
            script = Path(tmp) / "answer.lua"
            script.write_text(POST_SCRIPT % {"entries": _lua_entries(plan["answers"])})
            port = free_port()
            server = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("gunicorn")),
                    "alignment_course.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--log-level",
                    "warning",
                ],
                env=env,
                cwd=settings.BASE_DIR,
            )
            try:
                root = f"http://127.0.0.1:{port}"
                _wait_until_up(f"{root}/__bench__/bare/")
                return self._measure(label, root, plan, script, seconds, rounds, connections)
            finally:
                server.terminate()
                server.wait(timeout=30)

    def _measure(self, label, root, plan, script, seconds, rounds, connections) -> bool:
        learner = ["-H", f"Cookie: {plan['reader_cookie']}"]
        commands = {
            "bare": [f"{root}/__bench__/bare/"],
            "guest": [f"{root}{plan['lesson']}"],
            "guest-gzip": ["-H", "Accept-Encoding: gzip", f"{root}{plan['lesson']}"],
            "learner": [*learner, f"{root}{plan['lesson']}"],
            "outline": [*learner, f"{root}/"],
            "answer": ["-s", str(script), f"{root}{plan['answers'][0]['path']}"],
        }
        # Warm up both workers (imports, templates, caches) so that a short run measures the
        # steady state, not the first requests.
        for path, cookie in [
            (plan["lesson"], ""),
            (plan["lesson"], plan["reader_cookie"]),
            ("/", plan["reader_cookie"]),
        ]:
            for _ in range(6):
                request = urllib.request.Request(f"{root}{path}", headers={"Cookie": cookie} if cookie else {})
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
        rates: dict[str, list[float]] = {name: [] for name in TARGETS}
        failed = False
        for _ in range(rounds):
            for name in TARGETS:
                out = subprocess.run(
                    ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", *commands[name]],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
                bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
                errors = re.search(r"Socket errors: .*", out)
                if bad or errors or not rate:
                    self.stderr.write(f"{name}: {bad.group(0) if bad else ''} {errors.group(0) if errors else ''}")
                    failed = True
                rates[name].append(float(rate.group(1)) if rate else 0.0)
                if not rates[name][-1]:
                    self.stderr.write(f"{name}: no request completed in {seconds}s")
                    failed = True
        bare = sum(rates["bare"]) / rounds
        self.stdout.write(
            f"\n{label} ({plan['vendor']}): gunicorn 2 workers, wrk -c{connections}, "
            f"{rounds} interleaved round(s) of {seconds:g}s each"
        )
        self.stdout.write(f"{'target':12}{'req/s':>8}{'ratio':>9}   goal")
        for name in TARGETS:
            mean = sum(rates[name]) / rounds
            ratio = mean / bare if bare else 0.0
            goal = GOALS.get(name)
            verdict = "" if goal is None else f"≥ {goal:.2f} {'met' if ratio >= goal else 'NOT met'}"
            self.stdout.write(f"{name:12}{mean:>8.0f}{ratio:>8.3f}x   {verdict}")
        return failed

    # -- run inside the benchmarked environment: learners, sessions, tokens -------------

    def _prepare(self, out: Path) -> None:
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
        from django.contrib.sessions.backends.db import SessionStore
        from django.db import connection
        from django.utils.crypto import get_random_string

        from lessons.actions import record_answer
        from lessons.forms import choice_token
        from lessons.learners import Learner
        from lessons.models import Lesson, Quiz

        lessons = list(Lesson.objects.published().select_related("part"))
        lesson = max(lessons, key=lambda item: (len(item.checks), sum(len(b.get("html", "")) for b in item.blocks)))
        quiz = Quiz.objects.for_display().get(slug=lesson.embedded("quiz")[0])
        questions = quiz.active_questions
        User = get_user_model()

        def signed_in(username):
            user, _ = User.objects.get_or_create(username=username)
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            csrf = get_random_string(32)
            cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
            return user, cookie, csrf

        reader, reader_cookie, _ = signed_in("bench-reader")
        if not reader.answer_set.exists():  # a learner part-way through the lesson's first quiz
            for question in questions[:2]:
                record_answer(Learner(reader.pk, ""), question, [question.choices.all()[0]])
        answers = []
        for n in range(ANSWERING_LEARNERS):
            _, cookie, csrf = signed_in(f"bench-learner-{n}")
            question = questions[n % len(questions)]
            choice = question.choices.all()[0]
            path = f"{lesson.get_absolute_url()}questions/{question.pk}/"
            body = f"csrfmiddlewaretoken={csrf}&choice={choice_token(choice.pk)}"
            answers.append({"path": path, "cookie": cookie, "body": body})
        plan = {
            "lesson": lesson.get_absolute_url(),
            "reader_cookie": reader_cookie,
            "answers": answers,
            "vendor": connection.vendor,
        }
        out.write_text(json.dumps(plan))


def _lua_entries(entries: list[dict]) -> str:
    def lua(value: str) -> str:
        return json.dumps(value)  # a JSON string is a valid Lua string literal here (ASCII)

    rows = [f"{{path={lua(e['path'])}, cookie={lua(e['cookie'])}, body={lua(e['body'])}}}" for e in entries]
    return "{" + ", ".join(rows) + "}"


def _wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise CommandError(f"gunicorn did not answer at {url}") from None
        time.sleep(0.2)

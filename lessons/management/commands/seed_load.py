"""python manage.py seed_load --learners N: synthetic learners with realistic histories.

For load tests and the report benchmark. Each learner works through the course in order
and stops somewhere; ability varies, so some breeze through quizzes and some retry; their
activity is spread over the last 60 days. Rows are written in bulk.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from lessons.actions import case_picks
from lessons.grading import grade_case, grade_choices, mean
from lessons.models import Answer, Cohort, Exercise, ExerciseAttempt, Lesson, LessonProgress, Quiz, snapshot_picks
from lessons.summaries import rebuild_all

PREFIX = "load-"


class Command(BaseCommand):
    help = "Create N synthetic learners (usernames load-00001…) with progress, answers and exercise checks."

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, required=True)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--replace", action="store_true", help="Delete earlier synthetic learners first.")

    def handle(self, *args, learners, seed, replace=False, **options):
        if learners < 1 or learners > 200_000:
            raise CommandError("--learners must be between 1 and 200000.")
        lessons = list(Lesson.objects.published().in_order())
        if not lessons:
            raise CommandError("Import the course first: python manage.py import_course")
        User = get_user_model()
        if replace:
            User.objects.filter(username__startswith=PREFIX).delete()
        rng = random.Random(seed)
        quizzes = {q.slug: q for q in Quiz.objects.for_display()}
        exercises = {e.slug: e for e in Exercise.objects.for_display()}
        cohorts = [Cohort.objects.get_or_create(name=f"Load cohort {c}")[0] for c in "ABC"]
        start = User.objects.filter(username__startswith=PREFIX).count()
        done = 0
        while done < learners:
            batch = min(500, learners - done)
            with transaction.atomic():
                self._batch(User, start + done, batch, rng, lessons, quizzes, exercises, cohorts)
            done += batch
            self.stdout.write(f"  {done}/{learners} learners")
        rebuild_all()  # the report summaries, in bulk, from the rows just written
        self.stdout.write(self.style.SUCCESS(f"Created {learners} synthetic learners."))

    def _batch(self, User, offset, size, rng, lessons, quizzes, exercises, cohorts):
        now = timezone.now()
        users = User.objects.bulk_create(
            [
                User(
                    username=f"{PREFIX}{offset + i + 1:06d}",
                    email=f"load{offset + i + 1}@example.org",
                    password="!unusable",
                )
                for i in range(size)
            ]
        )
        memberships = []
        progress, answers, picks, attempts, attempt_cases = [], [], [], [], []
        for user in users:
            memberships.append(Cohort.members.through(cohort_id=rng.choice(cohorts).pk, user_id=user.pk))
            ability = rng.betavariate(5, 2)
            reach = rng.randint(0, len(lessons))
            moment = now - timedelta(days=rng.uniform(0, 60))
            for lesson in lessons[:reach]:
                opened = moment
                passed_all = True
                for block in lesson.checks:
                    if block["type"] == "quiz" and block["slug"] in quizzes:
                        for question in quizzes[block["slug"]].active_questions:
                            tries = 1 + (rng.random() > ability) + (rng.random() > ability)
                            for t in range(tries):
                                choices = list(question.choices.all())
                                right = [c for c in choices if c.correct]
                                pick = (
                                    right
                                    if rng.random() < ability or t == tries - 1 and rng.random() < 0.5
                                    else [rng.choice(choices)]
                                )
                                score = grade_choices(question.kind, [c.pk for c in pick], [c.pk for c in right])
                                moment += timedelta(seconds=rng.randint(20, 120))
                                answers.append(
                                    Answer(
                                        user=user,
                                        question=question,
                                        choice_ids=[c.pk for c in pick],
                                        score=score,
                                        prompt_seen=question.prompt,
                                        picked_seen=snapshot_picks(pick),
                                        created_at=moment,
                                    )
                                )
                                picks.append(pick)
                            passed_all &= score == 1.0 or rng.random() < ability
                    elif block["type"] == "exercise" and block["slug"] in exercises:
                        exercise = exercises[block["slug"]]
                        categories = [c.slug for c in exercise.taxonomy.categories.all()]
                        for _ in range(1 + (rng.random() > ability)):
                            chosen = {}
                            for case in exercise.active_cases:
                                chosen[case.slug] = (
                                    list(case.answers) if rng.random() < ability else [rng.choice(categories)]
                                )
                            results = {
                                c.slug: grade_case(exercise.multi_label, chosen[c.slug], c.answers, c.also_accept)
                                for c in exercise.active_cases
                            }
                            moment += timedelta(minutes=rng.randint(2, 10))
                            attempts.append(
                                ExerciseAttempt(
                                    user=user,
                                    exercise=exercise,
                                    answers=chosen,
                                    results=results,
                                    score=mean(results.values()),
                                    created_at=moment,
                                )
                            )
                            attempt_cases.append(exercise.active_cases)
                        passed_all &= attempts[-1].score >= exercise.pass_mark / 100
                completed = moment if passed_all and rng.random() < 0.9 else None
                progress.append(
                    LessonProgress(
                        user=user, lesson=lesson, first_opened_at=opened, last_opened_at=moment, completed_at=completed
                    )
                )
                moment += timedelta(hours=rng.uniform(1, 48))
                if moment > now:
                    moment = now - timedelta(minutes=rng.randint(1, 600))
        Cohort.members.through.objects.bulk_create(memberships)
        LessonProgress.objects.bulk_create(progress)
        created = Answer.objects.bulk_create(answers, batch_size=2000)
        Answer.picks.through.objects.bulk_create(
            [
                Answer.picks.through(answer_id=a.pk, choice_id=c.pk)
                for a, chosen in zip(created, picks, strict=True)
                for c in chosen
            ],
            batch_size=5000,
        )
        # auto_now_add ignores given values on create; put the simulated times back.
        Answer.objects.bulk_update([a for a in created], ["created_at"], batch_size=2000)
        saved = ExerciseAttempt.objects.bulk_create(attempts, batch_size=1000)
        ExerciseAttempt.objects.bulk_update(saved, ["created_at"], batch_size=1000)
        rows = [row for attempt, cases in zip(saved, attempt_cases, strict=True) for row in case_picks(attempt, cases)]
        from lessons.models import CasePick

        CasePick.objects.bulk_create(rows, batch_size=5000)

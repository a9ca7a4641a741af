"""The Django admin: every model is registered and its list page works for staff only."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from .factories import make_exercise, make_lesson_with_quiz, make_user

pytestmark = pytest.mark.django_db


def test_every_course_model_is_registered_with_search():
    for model in apps.get_app_config("lessons").get_models():
        assert model in admin.site._registry, model
        model_admin = admin.site._registry[model]
        assert model_admin.search_fields and model_admin.list_display, model


def test_staff_can_open_every_list_page_and_others_cannot(client):
    make_lesson_with_quiz()
    make_exercise()
    client.force_login(make_user("boss", staff=True))
    learner = Client()
    learner.force_login(make_user("pupil"))
    for model in apps.get_app_config("lessons").get_models():
        url = reverse(f"admin:lessons_{model._meta.model_name}_changelist")
        assert client.get(url, {"q": "x"}).status_code == 200, url
        assert learner.get(url).status_code == 302, url


def test_admin_edits_and_account_deletions_keep_the_summaries_in_step(client):
    from lessons.actions import record_answer
    from lessons.learners import Learner
    from lessons.models import Answer, CheckStatus, LearnerSummary

    from .test_reports import rebuilt_snapshot, snapshot

    lesson, quiz = make_lesson_with_quiz()
    ann, bob = make_user("ann"), make_user("bob")
    first, second = quiz.questions.all()
    for user, right in ((ann, False), (bob, True)):  # ann scores 50%, bob 100%
        record_answer(Learner(user.pk, ""), first, [first.choices.get(order=1)])
        record_answer(Learner(user.pk, ""), second, [second.choices.get(correct=right, order=1 if right else 2)])
    assert not CheckStatus.objects.get(user=ann).passed
    client.force_login(make_user("boss", staff=True))
    response = client.post(
        reverse("admin:lessons_quiz_change", args=[quiz.pk]), {"slug": quiz.slug, "title": quiz.title, "pass_mark": 50}
    )
    assert response.status_code == 302
    assert CheckStatus.objects.get(user=ann).passed and LearnerSummary.objects.get(user=ann).checks_passed == 1
    assert snapshot() == rebuilt_snapshot()
    response = client.post(reverse("admin:auth_user_delete", args=[bob.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Answer.objects.filter(user_id=bob.pk).exists()
    assert snapshot() == rebuilt_snapshot()


def test_learners_history_cannot_be_edited_in_the_admin(client):
    lesson, quiz = make_lesson_with_quiz()
    client.force_login(make_user("boss", staff=True))
    assert client.get(reverse("admin:lessons_answer_add")).status_code == 403

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

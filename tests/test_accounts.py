"""Accounts: roles, throttled log-in, password flows, demo accounts."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from lessons.forms import choice_token
from lessons.models import Answer, Lesson, Question

from .factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def failed_logins(client, username, times):
    response = None
    for _ in range(times):
        response = client.post(reverse("login"), {"username": username, "password": "wrong-password-123"})
    return response


def test_instructors_group_exists_from_a_migration():
    assert Group.objects.filter(name="Instructors").exists()


def test_wrong_password_shows_a_form_error(client):
    make_user("learner")
    response = failed_logins(client, "learner", 1)
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_repeated_failures_lock_out_with_the_same_message_whether_or_not_the_account_exists(client):
    make_user("learner")
    locked_real = failed_logins(client, "learner", 6)
    locked_ghost = failed_logins(client, "nobody-here", 6)
    assert locked_real.status_code == locked_ghost.status_code == 429
    assert locked_real.content == locked_ghost.content
    assert "Too many failed log-in attempts" in locked_real.content.decode()
    # Even the right password is refused while locked out.
    response = client.post(reverse("login"), {"username": "learner", "password": PASSWORD})
    assert response.status_code == 429


def test_login_and_logout(client):
    make_user("learner")
    response = client.post(reverse("login"), {"username": "learner", "password": PASSWORD})
    assert response.status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert not client.get("/").context["user"].is_authenticated


def test_password_change_requires_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_password_reset_sends_an_email_only_for_known_addresses(client):
    user = make_user("learner")
    user.email = "learner@example.com"
    user.save()
    for address in ("learner@example.com", "stranger@example.com"):
        response = client.post(reverse("password_reset"), {"email": address})
        assert response.status_code == 302
    assert len(mail.outbox) == 1 and "reset" in mail.outbox[0].body


def test_seed_demo_creates_three_roles(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    assert users["admin"].is_staff and users["admin"].is_superuser
    assert users["instructor"].groups.filter(name="Instructors").exists() and not users["instructor"].is_staff
    assert not users["learner"].is_staff and not users["learner"].groups.exists()


def test_seed_demo_refuses_in_production_without_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing"):
        call_command("seed_demo")
    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.parametrize("url", [reverse("login"), reverse("admin:login")])
def test_an_overlong_username_is_a_form_error_before_authentication(client, url):
    """A 300-character name used to reach django-axes' 255-character columns: a 500 on PostgreSQL."""
    from axes.models import AccessAttempt, AccessFailureLog

    response = client.post(url, {"username": "a" * 300, "password": "wrong-password-123"})
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    assert not AccessAttempt.objects.exists()
    assert not AccessFailureLog.objects.exists()


def test_many_usernames_from_one_address_lock_the_address(client):
    """Four failures each over many usernames stay under the pair limit; the address is locked."""
    make_user("learner")
    for number in range(4):
        response = failed_logins(client, f"guess-{number}", 4)
        assert response.status_code == 200
    assert failed_logins(client, "guess-4", 4).status_code == 429  # the twentieth failure
    response = client.post(reverse("login"), {"username": "learner", "password": PASSWORD})
    assert response.status_code == 429
    # Another address is not affected.
    other = client.post(reverse("login"), {"username": "learner", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_logging_in_does_not_clear_the_address_failures_against_other_accounts(client):
    make_user("learner")
    make_user("mallory")
    for number in range(4):
        failed_logins(client, f"guess-{number}", 4)
    client.post(reverse("login"), {"username": "mallory", "password": PASSWORD})
    client.logout()
    response = failed_logins(client, "guess-9", 4)
    assert response.status_code == 429


def test_the_header_log_in_link_returns_to_the_page_and_log_in_returns_there(client, course):
    lesson = Lesson.objects.published().in_order().first()
    url = lesson.get_absolute_url()
    html = client.get(url).content.decode()
    assert f'href="/accounts/login/?next={url}"' in html
    make_user("learner")
    response = client.post(
        reverse("login") + f"?next={url}", {"username": "learner", "password": PASSWORD, "next": url}
    )
    assert response.status_code == 302 and response["Location"] == url


def test_log_in_says_guest_progress_was_kept(client, course):
    lesson = Lesson.objects.published().in_order().first()
    question = lesson_question(lesson)
    client.post(
        reverse("lessons:question_answer", args=[lesson.part.slug, lesson.slug, question.pk]),
        {"choice": choice_token(question.choices.first().pk)},
    )
    user = make_user("learner")
    response = client.post(reverse("login"), {"username": "learner", "password": PASSWORD}, follow=True)
    assert "What you did as a guest in this browser is now in your account." in response.content.decode()
    assert Answer.objects.get().user == user


def test_sign_up_returns_to_a_safe_next_page_only(client):
    data = {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post(reverse("signup") + "?next=/about/", data)
    assert response["Location"] == "/about/"
    client.post(reverse("logout"))
    data["username"] = "newbie2"
    response = client.post(reverse("signup") + "?next=https://evil.test/", data)
    assert response["Location"] == reverse("lessons:dashboard")


def lesson_question(lesson):
    return Question.objects.filter(quiz__slug=lesson.embedded("quiz")[0]).first()


def test_sign_up_puts_a_weak_password_error_under_the_password_field(client):
    data = {"username": "newbie", "password1": "short", "password2": "short"}
    response = client.post(reverse("signup"), data)
    form = response.context["form"]
    assert response.status_code == 200
    assert any("too short" in e for e in form.errors["password1"]) and "password2" not in form.errors
    assert not get_user_model().objects.filter(username="newbie").exists()

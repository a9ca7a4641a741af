"""Certificates of completion: earned only, printable, publicly verifiable, revocable."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.models import Certificate, LessonProgress
from lessons.progress import CourseProgress, PartProgress, certificate_scopes

from .factories import make_course, make_lesson, make_part, make_user

pytestmark = pytest.mark.django_db
ISSUE = reverse("lessons:certificate_issue")


def complete(user, *lessons):
    now = timezone.now()
    for lesson in lessons:
        LessonProgress.objects.create(
            user=user, lesson=lesson, first_opened_at=now, last_opened_at=now, completed_at=now
        )


@pytest.fixture
def two_parts(db):
    make_course()
    one, two = make_part(1, title="Basics"), make_part(2, title="Advanced")
    lessons_one = [make_lesson(one, 1, slug="a", title="Lesson A"), make_lesson(one, 2, slug="b", title="Lesson B")]
    lessons_two = [make_lesson(two, 1, slug="c", title="Lesson C")]
    return lessons_one, lessons_two


@pytest.fixture
def learner(client):
    user = make_user("holder")
    client.force_login(user)
    return user


def test_scopes_list_each_part_then_the_course_with_what_they_cover():
    class P:
        def __init__(self, number, title):
            self.number, self.title = number, title

    class L:
        def __init__(self, title):
            self.title = title

    progress = CourseProgress(
        parts=[
            PartProgress(P(1, "Basics"), [(L("A"), "complete"), (L("B"), "complete")]),
            PartProgress(P(2, "Advanced"), [(L("C"), "in-progress")]),
        ]
    )
    scopes = certificate_scopes(progress, "The Course")
    assert [(s.scope, s.title, s.items, s.complete) for s in scopes] == [
        ("part-1", "Part 1: Basics", ["A", "B"], True),
        ("part-2", "Part 2: Advanced", ["C"], False),
        ("course", "The Course", ["Part 1: Basics", "Part 2: Advanced"], False),
    ]


def test_a_completed_part_gets_a_certificate_with_the_chosen_name(client, learner, two_parts):
    complete(learner, *two_parts[0])
    response = client.post(ISSUE, {"scope": "part-1", "name": "  Ada   Lovelace "})
    certificate = Certificate.objects.get()
    assert response.status_code == 302 and response["Location"] == certificate.get_absolute_url()
    assert certificate.user == learner and certificate.name == "Ada Lovelace"
    assert certificate.title == "Part 1: Basics" and certificate.items == ["Lesson A", "Lesson B"]
    assert len(certificate.public_id) >= 24

    page = Client().get(certificate.get_absolute_url())  # public: no log-in
    html = page.content.decode()
    assert page.status_code == 200
    assert "Ada Lovelace" in html and "Part 1: Basics" in html and "Lesson B" in html
    assert f"http://testserver{certificate.get_absolute_url()}" in html
    assert timezone.now().strftime("%Y") in html


def test_issuing_twice_keeps_one_active_certificate(client, learner, two_parts):
    complete(learner, *two_parts[0])
    client.post(ISSUE, {"scope": "part-1", "name": "Ada"})
    client.post(ISSUE, {"scope": "part-1", "name": "Someone else"})
    assert Certificate.objects.get().name == "Ada"


@pytest.mark.parametrize(
    "data",
    [
        {"scope": "part-2", "name": "Ada"},  # not complete
        {"scope": "course", "name": "Ada"},  # not complete
        {"scope": "part-9", "name": "Ada"},  # no such part
        {"scope": "part-1", "name": "   "},  # no name
        {"scope": "part-1", "name": "x" * 121},
    ],
)
def test_unearned_or_malformed_requests_are_refused_and_write_nothing(client, learner, two_parts, data):
    complete(learner, *two_parts[0])
    response = client.post(ISSUE, data)
    assert response.status_code == 400
    assert Certificate.objects.count() == 0


def test_the_whole_course_certificate_lists_its_parts(client, learner, two_parts):
    complete(learner, *two_parts[0], *two_parts[1])
    client.post(ISSUE, {"scope": "course", "name": "Ada"})
    certificate = Certificate.objects.get(scope="course")
    assert certificate.items == ["Part 1: Basics", "Part 2: Advanced"]


def test_the_holder_revokes_and_the_public_page_says_so(client, learner, two_parts):
    complete(learner, *two_parts[0])
    client.post(ISSUE, {"scope": "part-1", "name": "Ada"})
    certificate = Certificate.objects.get()
    response = client.post(reverse("lessons:certificate_revoke", args=[certificate.public_id]))
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    page = Client().get(certificate.get_absolute_url())
    assert page.status_code == 410 and "no longer valid" in page.content.decode()
    assert "Ada" not in page.content.decode()
    # A new one can be issued afterwards, with a new id.
    client.post(ISSUE, {"scope": "part-1", "name": "Ada L."})
    assert Certificate.objects.active().get().public_id != certificate.public_id


def test_permissions(client, two_parts):
    holder, other = make_user("holder"), make_user("other")
    complete(holder, *two_parts[0])
    certificate = Certificate.objects.create(
        user=holder, scope="part-1", name="Ada", title="Part 1", items=[], issued_at=timezone.now()
    )
    revoke = reverse("lessons:certificate_revoke", args=[certificate.public_id])
    guest = Client()
    for url in (reverse("lessons:certificate_list"), ISSUE, revoke):
        response = guest.post(url) if url != reverse("lessons:certificate_list") else guest.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(other)
    assert client.post(revoke).status_code == 404
    assert client.post(ISSUE, {"scope": "part-1", "name": "Thief"}).status_code == 400
    assert client.get(reverse("lessons:certificate_detail", args=["not-a-real-id"])).status_code == 404
    assert client.get(reverse("lessons:certificate_revoke", args=[certificate.public_id])).status_code == 405
    certificate.refresh_from_db()
    assert certificate.revoked_at is None and Certificate.objects.count() == 1


def test_certificate_posts_need_csrf(two_parts):
    user = make_user("holder")
    complete(user, *two_parts[0])
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(ISSUE, {"scope": "part-1", "name": "Ada"}).status_code == 403
    assert Certificate.objects.count() == 0


def test_the_list_offers_what_is_earned(client, learner, two_parts):
    complete(learner, *two_parts[0])
    html = client.get(reverse("lessons:certificate_list")).content.decode()
    assert 'value="part-1"' in html and 'value="part-2"' not in html and 'value="course"' not in html
    assert 'value="holder"' in html  # the name defaults to the account's


def test_the_data_export_includes_certificates(client, learner, two_parts):
    complete(learner, *two_parts[0])
    client.post(ISSUE, {"scope": "part-1", "name": "Ada"})
    data = client.get(reverse("lessons:export_json")).json()
    [exported] = data["certificates"]
    assert exported["name"] == "Ada" and exported["title"] == "Part 1: Basics" and exported["revoked_at"] is None

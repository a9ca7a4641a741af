"""Learner pages: who can see what, what 404s, and how many queries each page costs."""

import pytest
from django.urls import reverse

from lessons.models import Lesson

from .factories import PASSWORD, make_lesson, make_part, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(db):
    return {
        "guest": None,
        "learner": make_user("learner"),
        "instructor": make_user("teacher", instructor=True),
        "admin": make_user("boss", staff=True),
    }


def as_role(client, users, role):
    if users[role]:
        client.force_login(users[role])
    return client


@pytest.mark.parametrize("role", ["guest", "learner", "instructor", "admin"])
def test_every_role_can_read_the_course(client, users, role):
    lesson = make_lesson()
    as_role(client, users, role)
    for url in (reverse("lessons:outline"), lesson.part.get_absolute_url(), lesson.get_absolute_url(), "/about/"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert lesson.title in client.get(reverse("lessons:outline")).content.decode()


def test_real_course_outline_lists_five_parts_and_part_one_lessons(client, course):
    html = client.get("/").content.decode()
    for title in (
        "Understanding AI Alignment",
        "RLHF &amp; Constitutional AI",
        "LIME &amp; SHAP",
        "PyRIT",
        "Circuit Breakers",
    ):
        assert title in html
    assert "coming soon" not in html.lower()
    for lesson in Lesson.objects.filter(part__number=1):
        assert lesson.get_absolute_url() in html


def test_lesson_page_has_breadcrumb_toc_and_pager(client):
    part = make_part()
    first = make_lesson(part, 1, source="## Alpha\n\nText.\n\n## Beta\n\nMore.\n")
    second = make_lesson(part, 2)
    html = client.get(first.get_absolute_url()).content.decode()
    assert 'aria-label="Breadcrumb"' in html
    assert '<a href="#alpha">Alpha</a>' in html and '<a href="#beta">Beta</a>' in html
    assert f'rel="next" href="{second.get_absolute_url()}"' in html
    assert 'rel="prev"' not in html
    assert f'rel="prev" href="{first.get_absolute_url()}"' in client.get(second.get_absolute_url()).content.decode()


def test_draft_lessons_are_hidden_from_learners(client, users):
    draft = make_lesson(status=Lesson.Status.DRAFT, title="Secret draft")
    client.force_login(users["instructor"])
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "Secret draft" not in client.get("/").content.decode()
    assert "Secret draft" not in client.get(draft.part.get_absolute_url()).content.decode()


@pytest.mark.parametrize("url", ["/no-such-part/", "/no-such-part/no-such-lesson/", "/go/nothing/", "/a/b/c/d/"])
def test_unknown_urls_get_the_designed_404_page(client, url):
    make_lesson()
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert "We can&#x27;t find that page" in html or "We can't find that page" in html
    assert "Skip to content" in html  # the site's layout, not Django's bare page


def test_lesson_of_another_part_is_404(client):
    lesson = make_lesson(make_part(1))
    other = make_part(2)
    assert client.get(f"/{other.slug}/{lesson.slug}/").status_code == 404


def test_short_link_redirects_to_the_lesson(client):
    lesson = make_lesson()
    response = client.get(reverse("lessons:lesson_by_slug", args=[lesson.slug]))
    assert response.status_code == 302 and response["Location"] == lesson.get_absolute_url()


def test_post_to_a_page_is_refused(client):
    assert client.post("/").status_code == 405


def test_outline_queries_stay_constant_as_lessons_grow(client, django_assert_max_num_queries):
    for number in (1, 2, 3):
        part = make_part(number)
        for order in range(1, 11):
            make_lesson(part, order)
    with django_assert_max_num_queries(4, info="outline: course, parts, lessons, learner's progress rows"):
        assert client.get("/").status_code == 200


def test_lesson_page_queries_stay_constant_as_lessons_grow(client, django_assert_max_num_queries):
    part = make_part()
    lessons = [make_lesson(part, order) for order in range(1, 31)]
    info = "lesson, siblings, progress upsert (3 with savepoint), new guest session (4), header's due count"
    with django_assert_max_num_queries(11, info=info):
        assert client.get(lessons[10].get_absolute_url()).status_code == 200


def test_security_headers_are_set(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_make_no_external_requests(client, course):
    import re

    lesson = Lesson.objects.filter(part__number=1).first()
    html = client.get(lesson.get_absolute_url()).content.decode()
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', html)


def test_login_page_and_signup_work(client):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(
        reverse("signup"),
        {"username": "newcomer", "email": "n@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/").context["user"].username == "newcomer"


def test_short_passwords_are_refused_at_signup(client):
    response = client.post(
        reverse("signup"), {"username": "newcomer", "password1": "short-pw-1", "password2": "short-pw-1"}
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()


def test_error_pages_use_the_site_design(client):
    from django.template.loader import render_to_string

    for name, text in (
        ("500.html", "Something went wrong on our side"),
        ("400.html", "didn't make sense"),
        ("403.html", "You don't have access"),
    ):
        html = render_to_string(name)
        assert text in html and "Skip to content" in html and "/static/css/site.css" in html


def test_a_learner_gets_the_designed_403_page(client):
    client.force_login(make_user("pupil"))
    response = client.get(reverse("lessons:studio_outline"))
    assert response.status_code == 403 and "You don't have access" in response.content.decode()

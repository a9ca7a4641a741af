"""Reward-design labs: the solver, the authored environments, the endpoint, progress, studio, stats."""

import math
import random
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from lessons.actions import merge_guest_progress
from lessons.course_source import parse_single, sandbox_to_toml
from lessons.learners import GUEST_KEY
from lessons.models import Lesson, LessonProgress, Sandbox, SandboxAttempt
from lessons.sandbox import (
    MAX_WORK,
    Environment,
    build_graph,
    check_environment,
    draw,
    reward_of,
    solve,
)

from .conftest import COURSE_DIR
from .factories import make_lesson, make_user

HTMX = {"HX-Request": "true"}
SANDBOX_DIR = COURSE_DIR / "01-understanding-ai-alignment" / "sandboxes"

# A reward for each lab that closes its loophole: the intended behaviour should follow.
DESIGNED = {
    "boat-race": {"target": 0, "finish": 100, "step": -1},
    "block-stacker": {"height": 0, "on_blue": 1, "upside_down": 0, "move": 0},
    "cleaning-robot": {"no_mess_seen": 1, "cleaned": 10, "covered": -2, "move": 0},
}


def authored(slug):
    data, problems = parse_single("sandbox", slug, (SANDBOX_DIR / f"{slug}.toml").read_text())
    assert problems == []
    return data


def environment(data):
    return Environment(data.kind, tuple(data.layout), data.horizon, data.objective)


def naive(data):
    return {t.key: float(t.default) for t in data.terms}


# -- the solver and the authored environments (no database) ------------------------------------


def test_the_course_has_at_least_three_labs_of_different_kinds():
    kinds = {authored(path.stem).kind for path in SANDBOX_DIR.glob("*.toml")}
    assert kinds == {"race", "stacker", "cleaner"}


def test_naive_boat_race_reward_circles_the_targets_and_never_finishes():
    data = authored("boat-race")
    outcome = solve(environment(data), naive(data))
    assert not outcome.objective_met
    assert outcome.features["target"] >= 8 and "finish" not in outcome.features
    # Finishing would have earned less under the same reward: the loop is the optimum, not a fluke.
    honest = solve(environment(data), DESIGNED["boat-race"])
    assert reward_of(honest.features, naive(data)) < outcome.proxy


def test_naive_stacker_reward_flips_the_block_instead_of_stacking_it():
    data = authored("block-stacker")
    outcome = solve(environment(data), naive(data))
    assert outcome.actions[0] == "flip" and not outcome.objective_met
    assert outcome.proxy == data.horizon  # top height on every move
    honest = solve(environment(data), DESIGNED["block-stacker"])
    assert reward_of(honest.features, naive(data)) < outcome.proxy


def test_naive_cleaner_reward_covers_the_camera_and_leaves_the_mess():
    data = authored("cleaning-robot")
    outcome = solve(environment(data), naive(data))
    assert outcome.actions[0] == "cover" and "cleaned" not in outcome.features
    assert not outcome.objective_met and outcome.proxy == data.horizon
    honest = solve(environment(data), DESIGNED["cleaning-robot"])
    assert reward_of(honest.features, naive(data)) < outcome.proxy


@pytest.mark.parametrize("slug", sorted(DESIGNED))
def test_a_designed_reward_yields_the_intended_behaviour(slug):
    data = authored(slug)
    outcome = solve(environment(data), DESIGNED[slug])
    assert outcome.objective_met
    assert "upside_down" not in outcome.features and "covered" not in outcome.features


def test_the_boat_finishes_by_the_shortest_route_when_time_costs():
    data = authored("boat-race")
    outcome = solve(environment(data), DESIGNED["boat-race"])
    assert outcome.actions == ["right"] * 7 and outcome.proxy == 93


def test_a_half_fix_can_still_leave_a_mess():
    """A small payment per mess: the robot cleans some, then covers its camera."""
    data = authored("cleaning-robot")
    outcome = solve(environment(data), {"no_mess_seen": 1, "cleaned": 3.25})
    assert not outcome.objective_met
    assert outcome.features.get("cleaned", 0) >= 1 and outcome.features.get("covered", 0) > 0


@pytest.mark.parametrize("slug", sorted(DESIGNED))
def test_solving_is_deterministic_and_fast(slug):
    data = authored(slug)
    env = environment(data)
    first = solve(env, naive(data))
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        again = solve(env, naive(data))
        timings.append(time.perf_counter() - start)
    assert again.actions == first.actions and again.proxy == first.proxy
    assert min(timings) < 0.1


def test_the_largest_allowed_environment_still_solves_quickly():
    layout = ("S" + "." * 9 + "M.", "." * 11 + "M", "." * 12, "." * 12)
    states = len(build_graph(Environment("cleaner", layout, 1, "all_clean")).states)
    horizon = MAX_WORK // (states * 7)
    assert check_environment("cleaner", list(layout), horizon, "all_clean") == []
    assert check_environment("cleaner", list(layout), horizon + 1, "all_clean")  # one more step: refused
    start = time.perf_counter()
    solve(Environment("cleaner", layout, horizon, "all_clean"), {"cleaned": 1, "no_mess_seen": 1})
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize(
    ("kind", "layout", "horizon", "objective", "message"),
    [
        ("maze", ["S."], 5, "finished", "kind must be one of"),
        ("race", ["S.F"], 0, "finished", "horizon must be"),
        ("race", ["S.F"], 41, "finished", "horizon must be"),
        ("race", ["S.F"], 5, "stacked", "objective of a race"),
        ("race", "S.F", 5, "finished", "layout must be a list"),
        ("race", ["S" + "." * 12 + "F"], 5, "finished", "at most 8 rows of at most 12"),
        ("race", ["S.F"] * 9, 5, "finished", "at most 8 rows"),
        ("race", ["S.F", "."], 5, "finished", "same length"),
        ("race", ["S.X"], 5, "finished", "found 'X'"),
        ("race", ["..F"], 5, "finished", "needs 1 'S'"),
        ("cleaner", ["S.."], 5, "all_clean", "needs 1 to 4 'M'"),
        ("cleaner", ["SMMMMM"], 5, "all_clean", "needs 1 to 4 'M'"),
        ("cleaner", ["S...MMMM....", "." * 12, "." * 12, "." * 12], 40, "all_clean", "over the limit"),
    ],
)
def test_malformed_or_oversized_environments_are_refused(kind, layout, horizon, objective, message):
    problems = check_environment(kind, layout, horizon, objective)
    assert any(message in p for p in problems), problems


def test_non_finite_weights_are_refused_by_the_solver():
    data = authored("boat-race")
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError):
            solve(environment(data), {"target": bad})


def test_the_drawing_describes_the_path_in_words():
    data = authored("block-stacker")
    outcome = solve(environment(data), DESIGNED["block-stacker"])
    drawing = draw(environment(data), outcome)
    assert drawing.width == 5 * 48 and drawing.height == 2 * 48
    assert drawing.path.startswith("M24 24 L72 24") and drawing.end == (4 * 48 + 24, 48 + 24)
    assert "starts at row 1, column 1" in drawing.summary and "ending at row 2, column 5" in drawing.summary
    assert {label["text"] for label in drawing.labels} >= {"1", "2"}
    assert not any(cell["event"] for cell in drawing.cells)
    gaming = draw(environment(data), solve(environment(data), naive(data)))
    assert [cell["event"] for cell in gaming.cells if cell["event"]] == ["↻"]
    assert gaming.cells[0]["event"] == "↻"  # flipped where it stood


def test_toml_round_trip_is_lossless():
    for path in SANDBOX_DIR.glob("*.toml"):
        data = authored(path.stem)
        again, problems = parse_single("sandbox", path.stem, sandbox_to_toml(data))
        assert problems == [] and sandbox_to_toml(again) == sandbox_to_toml(data)
        assert again.terms == data.terms and again.layout == data.layout


def broken(text, old, new):
    assert old in text
    _, problems = parse_single("sandbox", "x", text.replace(old, new, 1))
    return problems


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('key = "target"', 'key = "coins"', "key must be one of: target, finish, step"),
        ("default = 10", "default = 99", "default must lie between min and max"),
        ("min = -20", "min = 60", "min must be below max"),
        ("step = 1\n", "step = 0\n", "step must be above 0"),
        ("default = 20", "default = 'lots'", "'default' must be a number"),
        ('key = "finish"', 'key = "target"', "two terms share the key 'target'"),
        ("default = 20", "default = 1000", "there is no challenge"),
        ('kind = "race"', 'kind = "golf"', "kind must be one of"),
        ("horizon = 20", "horizon = 4000", "horizon must be"),
        ('title = "Boat race: points or the finish line?"\n', "", "'title' is missing"),
    ],
)
def test_invalid_lab_files_are_refused_with_a_reason(old, new, message):
    problems = broken((SANDBOX_DIR / "boat-race.toml").read_text(), old, new)
    assert any(message in p for p in problems), problems


# -- the learner's endpoint ---------------------------------------------------------------------


def make_sandbox(slug="boat-race"):
    data = authored(slug)
    return Sandbox.objects.create(
        slug=data.slug,
        title=data.title,
        kind=data.kind,
        horizon=data.horizon,
        objective=data.objective,
        objective_label=data.objective_label,
        goal=data.goal,
        instructions=data.instructions,
        layout=data.layout,
        terms=[vars(t) for t in data.terms],
        hints=data.hints,
        loophole=data.loophole,
        success=data.success,
    )


@pytest.fixture
def lab(db):
    sandbox = make_sandbox()
    lesson = make_lesson(source="## Intro\n\nText.\n\n[sandbox: boat-race]\n")
    return lesson, sandbox


def run_url(lesson, slug="boat-race"):
    return reverse("lessons:sandbox_run", args=[lesson.part.slug, lesson.slug, slug])


def form(weights):
    return {f"w-{key}": str(value) for key, value in weights.items()}


NAIVE_RACE = {"target": 10, "finish": 20, "step": 0}


def test_the_lesson_shows_the_lab_with_the_naive_reward_and_writes_nothing(client, lab):
    lesson, _ = lab
    html = client.get(lesson.get_absolute_url()).content.decode()
    assert 'id="sandbox-boat-race"' in html and "Run the optimiser" in html
    assert 'name="w-target"' in html and 'value="10"' in html and 'min="-20" max="50" step="1"' in html
    assert "The loophole" not in html  # nothing to explain before a run
    assert SandboxAttempt.objects.count() == 0


def test_naive_run_shows_the_gaming_policy_and_records_it(client, lab):
    lesson, sandbox = lab
    response = client.post(run_url(lesson), form(NAIVE_RACE), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<title>" not in html
    assert html.lstrip().startswith('<section class="exercise sandbox sandbox--incorrect" id="sandbox-boat-race"')
    assert 'data-outcome="incorrect"' in html and "Objective not met" in html
    assert "<svg" in html and 'role="img"' in html and "<desc" in html and "hits a target" in html
    assert "The loophole" in html and "CoastRunners" in html
    assert response["HX-Trigger"] and "sandbox-changed" in response["HX-Trigger"]
    attempt = SandboxAttempt.objects.get()
    assert attempt.sandbox == sandbox and not attempt.objective_met and attempt.proxy_reward == 100
    assert attempt.weights == {"target": 10.0, "finish": 20.0, "step": 0.0} and attempt.user is None
    assert attempt.session_key == client.session[GUEST_KEY]


def test_a_designed_reward_passes_and_counts_for_the_lesson(client, lab):
    lesson, _ = lab
    client.get(lesson.get_absolute_url())
    client.post(run_url(lesson), form(NAIVE_RACE), headers=HTMX)
    progress = reverse("lessons:lesson_progress", args=[lesson.part.slug, lesson.slug])
    client.post(progress)
    assert not LessonProgress.objects.get().completed_at  # the lab is not passed yet

    html = client.post(run_url(lesson), form(DESIGNED["boat-race"]), headers=HTMX).content.decode()
    assert 'data-outcome="correct"' in html and "Objective met" in html and "Why it works now" in html
    assert "Passed" in html
    panel = client.get(progress, headers=HTMX).content.decode()
    assert "Lab: Boat race" in panel and "checklist__item--passed" in panel
    client.post(progress)
    assert LessonProgress.objects.get().completed_at
    assert list(SandboxAttempt.objects.order_by("id").values_list("objective_met", flat=True)) == [False, True]


def test_trying_the_naive_reward_again_keeps_the_pass(client, lab):
    lesson, _ = lab
    client.post(run_url(lesson), form(DESIGNED["boat-race"]), headers=HTMX)
    html = client.post(run_url(lesson), form(NAIVE_RACE), headers=HTMX).content.decode()
    assert "Objective not met" in html and "Passed" in html
    # The form comes back with the learner's latest weights.
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert 'name="w-finish" type="number"' in page and 'value="20"' in page


def test_without_javascript_the_whole_lesson_comes_back_with_the_result(client, lab):
    lesson, _ = lab
    response = client.post(run_url(lesson), form(DESIGNED["boat-race"]))
    html = response.content.decode()
    assert response.status_code == 200 and "<title>" in html and 'data-outcome="correct"' in html
    assert 'id="lesson-progress"' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"w-target": "10", "w-finish": "20"}, "Give a number for “Reward per move”"),
        ({"w-target": "", "w-finish": "20", "w-step": "0"}, "Give a number for “Points per target hit”"),
        ({"w-target": "ten", "w-finish": "20", "w-step": "0"}, "must be a number"),
        ({"w-target": "nan", "w-finish": "20", "w-step": "0"}, "must be a finite number"),
        ({"w-target": "inf", "w-finish": "20", "w-step": "0"}, "must be a finite number"),
        ({"w-target": "-Infinity", "w-finish": "20", "w-step": "0"}, "must be a finite number"),
        ({"w-target": "51", "w-finish": "20", "w-step": "0"}, "must be between -20 and 50; you gave 51"),
        ({"w-target": "1e308", "w-finish": "20", "w-step": "0"}, "must be between"),
        ({"w-target": "1" * 400, "w-finish": "20", "w-step": "0"}, "must be a number"),
        ({"w-target": ["1", "2"], "w-finish": "20", "w-step": "0"}, "Give one number"),
        ({"w-target": "1", "w-finish": "20", "w-step": "0", "w-coins": "5"}, "no reward term called “coins”"),
        ({}, "Give a number"),
    ],
)
def test_bad_weights_are_400_with_a_reason_and_record_nothing(client, lab, data, message):
    lesson, _ = lab
    for headers in (HTMX, {}):
        response = client.post(run_url(lesson), data, headers=headers)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert SandboxAttempt.objects.count() == 0


def test_an_unknown_lab_is_400_and_records_nothing(client, lab):
    lesson, _ = lab
    make_sandbox("block-stacker")  # exists, but this lesson does not embed it
    for slug in ("block-stacker", "nope", "NOT a slug"):
        response = client.post(run_url(lesson, slug), form(NAIVE_RACE))
        assert response.status_code == 400 and "no lab called" in response.content.decode()
    assert SandboxAttempt.objects.count() == 0


def test_fuzzed_weights_never_fail_the_server(client, lab):
    lesson, _ = lab
    rng = random.Random(18)
    nasty = ["", " ", "-", "1e", "0x10", "1,5", "½", "1_0", "NaN", "-0", "9" * 30, "\x00", "1e-400", "٣"]
    ok = 0
    for _ in range(60):
        data = {}
        for key in ("target", "finish", "step", "other"):
            if rng.random() < 0.9 or key == "other":
                pick = rng.random()
                if pick < 0.4:
                    data[f"w-{key}"] = rng.choice(nasty)
                elif key != "other" or pick < 0.45:
                    data[f"w-{key}"] = repr(rng.uniform(-600, 600))
        response = client.post(run_url(lesson), data, headers=HTMX if rng.random() < 0.5 else {})
        assert response.status_code in (200, 400), data
        ok += response.status_code == 200
    assert SandboxAttempt.objects.count() == ok


def test_a_get_gives_the_form_to_htmx_and_redirects_otherwise(client, lab):
    lesson, _ = lab
    fragment = client.get(run_url(lesson), headers=HTMX)
    assert fragment.status_code == 200 and 'id="sandbox-boat-race"' in fragment.content.decode()
    assert client.get(run_url(lesson)).status_code == 302
    assert SandboxAttempt.objects.count() == 0


def test_csrf_is_enforced(lab):
    lesson, _ = lab
    response = Client(enforce_csrf_checks=True).post(run_url(lesson), form(NAIVE_RACE))
    assert response.status_code == 403 and SandboxAttempt.objects.count() == 0


def test_a_signed_in_learner_owns_their_runs(client, lab):
    lesson, _ = lab
    user = make_user()
    client.force_login(user)
    client.post(run_url(lesson), form(DESIGNED["boat-race"]), headers=HTMX)
    attempt = SandboxAttempt.objects.get()
    assert attempt.user == user and attempt.session_key == ""
    other = Client()
    other.force_login(make_user("other"))
    assert "Passed" not in other.get(lesson.get_absolute_url()).content.decode()


def test_guest_runs_move_to_the_account_at_sign_up(client, lab):
    lesson, _ = lab
    client.post(run_url(lesson), form(DESIGNED["boat-race"]), headers=HTMX)
    key = client.session[GUEST_KEY]
    user = make_user("newcomer")
    merge_guest_progress(key, user)
    attempt = SandboxAttempt.objects.get()
    assert attempt.user == user and attempt.session_key == ""


def test_lesson_page_queries_stay_constant(db, client, django_assert_max_num_queries):
    for slug in ("boat-race", "block-stacker", "cleaning-robot"):
        make_sandbox(slug)
    lesson = make_lesson(source="[sandbox: boat-race]\n\n[sandbox: block-stacker]\n\n[sandbox: cleaning-robot]\n")
    for _ in range(5):
        client.post(run_url(lesson), form(NAIVE_RACE), headers=HTMX)
    info = "session, lesson, progress upsert, quizzes, exercises, sandboxes, runs, siblings, progress"
    with django_assert_max_num_queries(10, info=info):
        response = client.get(lesson.get_absolute_url())
    assert response.content.decode().count("Run the optimiser</button>") == 3
    with django_assert_max_num_queries(11, info="a run: the page's reads (no visit), one insert, header's due count"):
        client.post(run_url(lesson, "cleaning-robot"), form({"no_mess_seen": 1, "cleaned": 0, "covered": 0, "move": 0}))


# -- import, studio and statistics -----------------------------------------------------------------


def test_the_import_creates_the_labs_and_embeds_them_in_part_one(course):
    assert set(Sandbox.objects.values_list("slug", flat=True)) == set(DESIGNED)
    gaming = Lesson.objects.get(slug="specification-gaming")
    assert gaming.embedded("sandbox") == ["boat-race", "block-stacker"]
    assert Lesson.objects.get(slug="goodharts-law").embedded("sandbox") == ["cleaning-robot"]
    stacker = Sandbox.objects.get(slug="block-stacker")
    assert "/understanding-ai-alignment/specification-gaming/#lego-stacking" in stacker.loophole_html


def test_the_export_writes_the_labs_back_unchanged(tmp_path, course):
    from django.core.management import call_command

    call_command("export_course", str(tmp_path / "out"), stdout=None)
    for path in SANDBOX_DIR.glob("*.toml"):
        written = Path(tmp_path / "out" / "01-understanding-ai-alignment" / "sandboxes" / path.name)
        assert written.read_text() == sandbox_to_toml(authored(path.stem))


@pytest.fixture
def instructor(db):
    client = Client()
    client.force_login(make_user("teacher", instructor=True))
    return client


def test_instructors_edit_a_lab_as_text_with_the_import_checks(instructor, lab):
    _, sandbox = lab
    url = reverse("lessons:studio_assessment_edit", args=["sandbox", sandbox.slug])
    text = instructor.get(url).content.decode()
    assert "kind = &quot;race&quot;" in text and "[[terms]]" in text
    source = sandbox_to_toml(authored("boat-race"))
    bad = instructor.post(url, {"text": source.replace("default = 10", "default = 99")})
    assert bad.status_code == 400 and "default must lie between min and max" in bad.content.decode()
    assert Sandbox.objects.get().terms[0]["default"] == 10
    good = instructor.post(url, {"text": source.replace("horizon = 20", "horizon = 18")})
    assert good.status_code == 302 and Sandbox.objects.get().horizon == 18


def test_learners_cannot_open_the_lab_editor(client, lab):
    client.force_login(make_user())
    response = client.get(reverse("lessons:studio_assessment_edit", args=["sandbox", "boat-race"]))
    assert response.status_code == 403


def lab_row(html):
    row = html[html.index("Boat race: points or the finish line?") :]
    return row[: row.index("</tr>")]


def test_instructors_see_anonymous_lab_statistics(instructor, lab, django_assert_max_num_queries):
    lesson, _ = lab
    for weights in (NAIVE_RACE, DESIGNED["boat-race"], NAIVE_RACE, NAIVE_RACE):
        Client().post(run_url(lesson), form(weights))
    guest = Client()
    guest.post(run_url(lesson), form(NAIVE_RACE))
    guest.post(run_url(lesson), form(NAIVE_RACE))
    with django_assert_max_num_queries(8, info="session, user, groups, quizzes, taxonomies, lab summary, labs"):
        html = instructor.get(reverse("lessons:report_quiz_list")).content.decode()
    assert "<td>6</td><td>1</td><td>5</td><td>1 (20%)</td>" in lab_row(html)


def test_lab_figures_behind_too_few_learners_are_hidden_from_instructors(instructor, lab):
    lesson, _ = lab
    Client().post(run_url(lesson), form(DESIGNED["boat-race"]))
    url = reverse("lessons:report_quiz_list")
    assert "Fewer than 5 learners ran this lab" in lab_row(instructor.get(url).content.decode())
    admin = Client()
    admin.force_login(make_user("boss", staff=True))
    assert "<td>1</td><td>1</td><td>1</td><td>1 (100%)</td>" in lab_row(admin.get(url).content.decode())


def test_a_learners_export_includes_their_lab_runs(client, lab):
    import json

    lesson, _ = lab
    client.force_login(make_user())
    client.post(run_url(lesson), form(NAIVE_RACE))
    data = json.loads(client.get(reverse("lessons:export_json")).content)
    assert data["lab_runs"][0]["lab"] == "boat-race" and data["lab_runs"][0]["objective_met"] is False
    csv = b"".join(client.get(reverse("lessons:export_csv")).streaming_content).decode()
    assert "lab,boat-race," in csv


def test_the_studio_preview_embeds_a_lab_and_flags_unknown_ones(instructor, lab):
    response = instructor.post(
        reverse("lessons:studio_lesson_preview"), {"source": "## A\n\n[sandbox: boat-race]\n\n[sandbox: nowhere]\n"}
    )
    html = response.content.decode()
    assert 'id="sandbox-boat-race"' in html and "Unknown sandbox &#x27;nowhere&#x27;" in html


def test_the_dashboard_lists_lab_runs(client, lab):
    lesson, _ = lab
    client.force_login(make_user())
    client.post(run_url(lesson), form(DESIGNED["boat-race"]))
    client.post(run_url(lesson), form(NAIVE_RACE))
    html = client.get(reverse("lessons:dashboard")).content.decode()
    row = html[html.index("Lab: <a") :]
    row = row[: row.index("</tr>")]
    assert f'href="{lesson.get_absolute_url()}#sandbox-boat-race"' in row
    assert "<td>2</td>" in row and "<td>0%</td>" in row and "<td>100%</td>" in row and "Passed" in row


def test_the_import_refuses_unknown_or_oversized_labs_naming_the_file(tmp_path):
    import shutil

    from lessons.course_source import CourseSourceError, read_course

    tree = tmp_path / "course"
    shutil.copytree(COURSE_DIR, tree)
    lesson = tree / "01-understanding-ai-alignment" / "03-specification-gaming.md"
    lesson.write_text(lesson.read_text().replace("[sandbox: block-stacker]", "[sandbox: block-stackr]"))
    lab_file = tree / "01-understanding-ai-alignment" / "sandboxes" / "cleaning-robot.toml"
    lab_file.write_text(lab_file.read_text().replace('    ".....",\n', '    ".....",\n' * 6))
    with pytest.raises(CourseSourceError) as info:
        read_course(tree)
    problems = info.value.problems
    assert "01-understanding-ai-alignment/03-specification-gaming.md: embeds unknown sandbox 'block-stackr'" in problems
    assert any(
        p.startswith("01-understanding-ai-alignment/sandboxes/cleaning-robot.toml: ") and "at most 8 rows" in p
        for p in problems
    )


def test_staff_see_one_learners_lab_runs(client, lab):
    lesson, _ = lab
    person = make_user("person")
    client.force_login(person)
    client.post(run_url(lesson), form(DESIGNED["boat-race"]))
    admin = Client()
    admin.force_login(make_user("boss", staff=True))
    html = admin.get(reverse("lessons:report_learner", args=[person.pk])).content.decode()
    row = html[html.index("Reward lab runs") :]
    assert "Boat race: points or the finish line?" in row and "finish: 100" in row and "<td>met</td>" in row

"""The instructors' studio: outline, lesson editor with live preview, history, assessments.

Every view is for instructors and admins only (instructor_required); every write is a POST
with CSRF. Text goes through the same parser, renderer and validation as the import.
"""

import difflib
import io
import re
import zipfile
from pathlib import Path
from tempfile import TemporaryDirectory

from django.contrib import messages
from django.db.models import Count, ProtectedError, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from lessons.actions import (
    EditConflict,
    course_data_from_database,
    move_lesson,
    restore_revision,
    save_assessment,
    save_lesson,
)
from lessons.course_source import (
    CourseSourceError,
    exercise_to_toml,
    lesson_problems,
    offending_lines,
    quiz_to_toml,
    sandbox_to_toml,
    split_blocks,
    taxonomy_to_toml,
    write_course,
)
from lessons.forms import LessonForm, PartForm
from lessons.learners import Learner
from lessons.lesson_page import lesson_blocks
from lessons.markdown import MarkdownError
from lessons.models import (
    Answer,
    Course,
    Exercise,
    ExerciseAttempt,
    Lesson,
    LessonRevision,
    Part,
    Quiz,
    Sandbox,
    SandboxAttempt,
    Taxonomy,
)
from lessons.permissions import instructor_required


def _course_paths() -> set[str]:
    paths = {"/", "/about/", "/me/", "/taxonomies/"}
    for part_slug, lesson_slug in Lesson.objects.values_list("part__slug", "slug"):
        paths.add(f"/{part_slug}/")
        paths.add(f"/{part_slug}/{lesson_slug}/")
    paths.update(f"/taxonomies/{slug}/" for slug in Taxonomy.objects.values_list("slug", flat=True))
    return paths


# -- outline, search, parts ----------------------------------------------------------


@require_safe
@vary_on_headers("HX-Request")
@instructor_required
def studio_outline(request):
    parts = Part.objects.prefetch_related("lessons")
    query = request.GET.get("q", "").strip()
    results = []
    if query:
        matches = Lesson.objects.filter(
            Q(title__icontains=query) | Q(source__icontains=query) | Q(draft_source__icontains=query)
        ).select_related("part")[:50]
        results = [(lesson, _snippet(lesson.working_source, query)) for lesson in matches]
    context = {
        "parts": parts,
        "query": query,
        "results": results,
        "quizzes": Quiz.objects.annotate(n=Count("questions")).order_by("slug"),
        "exercises": Exercise.objects.select_related("taxonomy").annotate(n=Count("cases")).order_by("slug"),
        "taxonomies": Taxonomy.objects.annotate(n=Count("categories")).order_by("slug"),
        "sandboxes": Sandbox.objects.only("slug", "kind").order_by("slug"),
    }
    if request.htmx and request.GET.get("fragment") == "results":
        return render(request, "lessons/studio/outline.html#search-results", context)
    return render(request, "lessons/studio/outline.html", context)


def _snippet(text: str, query: str, width: int = 80) -> str:
    index = text.lower().find(query.lower())
    if index < 0:
        return text[: 2 * width]
    start = max(0, index - width)
    return ("…" if start else "") + text[start : index + len(query) + width].replace("\n", " ") + "…"


@require_http_methods(["GET", "HEAD", "POST"])
@instructor_required
def studio_part_edit(request, part_id=None):
    part = get_object_or_404(Part, pk=part_id) if part_id else None
    form = PartForm(request.POST or None, instance=part)
    status = 200
    if request.method == "POST" and form.is_valid():
        part = form.save(commit=False)
        part.course = (
            part.course
            if part.pk
            else Course.objects.first()
            or Course.objects.create(slug="responsible-ai-engineering", title="Responsible AI Engineering")
        )
        try:
            part.save()
        except MarkdownError as exc:
            form.add_error("summary", str(exc))
            status = 400
        else:
            messages.success(request, f"Saved {part}.")
            return redirect("lessons:studio_outline")
    return render(request, "lessons/studio/part_form.html", {"form": form, "part": part}, status=status)


@require_POST
@instructor_required
def studio_part_delete(request, part_id):
    part = get_object_or_404(Part, pk=part_id)
    if part.lessons.exists():
        messages.error(request, f"{part} still has lessons. Move or delete them first.")
    else:
        part.delete()
        messages.success(request, f"Deleted {part}.")
    return redirect("lessons:studio_outline")


@require_POST
@vary_on_headers("HX-Request")
@instructor_required
def studio_lesson_move(request, lesson_id, direction):
    lesson = get_object_or_404(Lesson.objects.select_related("part"), pk=lesson_id)
    move_lesson(lesson, -1 if direction == "up" else 1)
    if request.htmx:
        part = Part.objects.prefetch_related("lessons").get(pk=lesson.part_id)
        context = {"part": part, "moved": lesson.pk, "direction": direction}
        return render(request, "lessons/studio/outline.html#part-lessons", context)
    return redirect(f"{reverse('lessons:studio_outline')}#part-{lesson.part.number}")


# -- lesson editor --------------------------------------------------------------------


def _error_summary(form) -> list[tuple[str, str]]:
    """(field id, message) for every error of a bound form, for the summary at the top."""
    errors = [("lesson-form", error) for error in form.non_field_errors()]
    for field in form.visible_fields():
        errors += [(field.id_for_label, f"{field.label}: {error}") for error in field.errors]
    return errors


def _editor_context(lesson, form, **extra):
    errors = _error_summary(form) if form.is_bound else []
    return {"lesson": lesson, "form": form, "part": lesson.part, "errors": errors, **extra}


@require_http_methods(["GET", "HEAD", "POST"])
@instructor_required
def studio_lesson_edit(request, lesson_id=None, part_id=None):
    """Create or edit a lesson. Save keeps learners on the published text until Publish."""
    if lesson_id:
        lesson = get_object_or_404(Lesson.objects.select_related("part"), pk=lesson_id)
    else:
        part = get_object_or_404(Part, pk=part_id)
        order = (part.lessons.order_by("-order").values_list("order", flat=True).first() or 0) + 1
        lesson = Lesson(part=part, order=order, status=Lesson.Status.DRAFT)
    initial = {
        "title": lesson.title,
        "slug": lesson.slug,
        "summary": lesson.summary,
        "source": lesson.working_source if lesson.pk else "## First section\n\nWrite here.\n",
        "version": lesson.version if lesson.pk else None,
    }
    form = LessonForm(request.POST or None, initial=initial, lesson=lesson)
    if request.method != "POST" or not form.is_valid():
        return render(request, "lessons/studio/lesson_edit.html", _editor_context(lesson, form))

    action = request.POST.get("action", "save")
    publish = {"publish": True, "unpublish": False}.get(action)
    data = form.cleaned_data
    # An edit that does not say which version it started from is a conflict, never a
    # silent overwrite (versions start at 1, so 0 matches nothing).
    expected_version = data["version"] if data["version"] is not None or not lesson.pk else 0
    try:
        lesson = save_lesson(
            lesson,
            title=data["title"],
            slug=data["slug"],
            summary=data["summary"],
            source=data["source"],
            author=request.user,
            note=data["note"],
            expected_version=expected_version,
            publish=publish,
        )
    except EditConflict as conflict:
        current = conflict.current
        # The same text, now carrying the newer version: saving again is a deliberate overwrite.
        form = LessonForm(data={**request.POST.dict(), "version": current.version}, lesson=current)
        form.is_valid()
        diff = _diff(current.working_source, data["source"], "saved by someone else", "your text")
        context = _editor_context(current, form, conflict=current, diff=diff)
        return render(request, "lessons/studio/lesson_edit.html", context, status=409)
    except MarkdownError as exc:
        form.add_error("source", str(exc))
        return render(request, "lessons/studio/lesson_edit.html", _editor_context(lesson, form), status=400)
    verb = {"publish": "Published", "unpublish": "Unpublished"}.get(action, "Saved")
    messages.success(request, f"{verb} “{lesson.title}” (version {lesson.version}).")
    return redirect("lessons:studio_lesson_edit", lesson_id=lesson.pk)


@require_POST
@instructor_required
def studio_lesson_preview(request):
    """Render the editor's text exactly as learners will see it, with problems listed."""
    source = request.POST.get("source", "").replace("\r\n", "\n")
    lesson = Lesson(source=source, title=request.POST.get("title", ""))
    problems = []
    try:
        lesson.render()
    except MarkdownError as exc:
        problems.append(str(exc))
        # The text fails to render; its quizzes and exercises still show and are checked.
        lesson.blocks = [{"type": kind, "slug": slug} for kind, slug in split_blocks(source) if kind != "markdown"]
        lesson.headings = []
    page = lesson_blocks(lesson, Learner(None, ""))  # the learners' assembly, as nobody in particular
    problems += lesson_problems(
        source,
        lesson.headings,
        quizzes=set(page.quizzes),
        exercises=set(page.exercises),
        paths=_course_paths(),
        sandboxes=set(page.sandboxes),
    )
    lesson_id = request.POST.get("lesson_id", "")
    lesson_id = int(lesson_id) if re.fullmatch(r"[0-9]{1,18}", lesson_id) else None
    preview_lesson = Lesson.objects.select_related("part").filter(pk=lesson_id).first() if lesson_id else None
    # Inert forms still need URLs to render: a stand-in lesson gives them harmless ones.
    stand_in = Lesson(slug="preview", part=Part(slug="preview"))
    context = {"blocks": page.blocks, "problems": problems, "lesson": preview_lesson or stand_in}
    return render(request, "lessons/studio/preview.html", context)


@require_safe
@instructor_required
def studio_lesson_view(request, lesson_id):
    """A draft (or pending edits) in the learners' layout, for instructors only."""
    lesson = get_object_or_404(Lesson.objects.select_related("part"), pk=lesson_id)
    lesson.source = lesson.working_source
    try:
        lesson.render()
    except MarkdownError as exc:
        return render(request, "400.html", {"message": str(exc)}, status=400)
    page = lesson_blocks(lesson, Learner(None, ""))
    context = {
        "lesson": lesson,
        "part": lesson.part,
        "blocks": page.blocks,
        "preview": True,
        "checks": [],
        "status": "not-started",
        "labels": {},
        "total": 0,
        "position": 0,
    }
    return render(request, "lessons/lesson_detail.html", context)


@require_http_methods(["GET", "POST"])
@instructor_required
def studio_lesson_delete(request, lesson_id):
    """GET (or a post without confirm=yes) asks first: a deletion cannot be undone."""
    lesson = get_object_or_404(Lesson.objects.select_related("part"), pk=lesson_id)
    if request.method == "GET" or request.POST.get("confirm") != "yes":
        return render(request, "lessons/studio/lesson_delete.html", {"lesson": lesson})
    try:
        lesson.delete()
    except ProtectedError:
        messages.error(
            request, f"Learners have progress in “{lesson.title}”, so it cannot be deleted. Unpublish it instead."
        )
        return redirect("lessons:studio_lesson_edit", lesson_id=lesson.pk)
    messages.success(request, f"Deleted “{lesson.title}”.")
    return redirect("lessons:studio_outline")


# -- history --------------------------------------------------------------------------


def _diff(old: str, new: str, old_label: str, new_label: str) -> list[tuple[str, str]]:
    """A unified diff as (kind, line) pairs for the template: kind is add, del, hunk or same."""
    lines = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), old_label, new_label, lineterm="", n=2):
        if line.startswith(("+++", "---")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        lines.append((kind, line))
    return lines


@require_safe
@instructor_required
def studio_lesson_history(request, lesson_id):
    lesson = get_object_or_404(Lesson.objects.select_related("part"), pk=lesson_id)
    revisions = list(lesson.revisions.select_related("author"))
    context = {"lesson": lesson, "revisions": revisions}
    numbers = {r.number: r for r in revisions}
    a, b = request.GET.get("a"), request.GET.get("b")
    if a and b:
        try:
            old, new = numbers[int(a)], numbers[int(b)]
        except (KeyError, ValueError):
            return render(request, "400.html", {"message": "Pick two revisions of this lesson to compare."}, status=400)
        context.update(
            old=old, new=new, diff=_diff(old.source, new.source, f"revision {old.number}", f"revision {new.number}")
        )
    return render(request, "lessons/studio/history.html", context)


@require_POST
@instructor_required
def studio_revision_restore(request, lesson_id, number):
    revision = get_object_or_404(LessonRevision, lesson_id=lesson_id, number=number)
    lesson = restore_revision(revision, request.user)
    messages.success(request, f"Restored revision {number} as version {lesson.version}. Publish it when ready.")
    return redirect("lessons:studio_lesson_edit", lesson_id=lesson.pk)


# -- quizzes, exercises, taxonomies edited as text ---------------------------------------

EDITABLE = {
    "quiz": (Quiz, "quizzes"),
    "exercise": (Exercise, "exercises"),
    "taxonomy": (Taxonomy, "taxonomies"),
    "sandbox": (Sandbox, "sandboxes"),
}


def _as_text(kind: str, obj) -> str:
    course = course_data_from_database()
    items = {
        "quiz": course.quizzes,
        "exercise": course.exercises,
        "taxonomy": course.taxonomies,
        "sandbox": course.sandboxes,
    }[kind]
    item = next(i for i in items if i.slug == obj.slug)
    writers = {"quiz": quiz_to_toml, "exercise": exercise_to_toml, "taxonomy": taxonomy_to_toml}
    return {**writers, "sandbox": sandbox_to_toml}[kind](item)


def _attempt_counts(kind: str, obj) -> list[tuple[str, int]]:
    if kind == "quiz":
        rows = Answer.objects.filter(question__quiz=obj).values("question__order", "question__key", "question__retired")
        counts = rows.annotate(n=Count("id")).order_by("question__retired", "question__order")
        return [
            (
                f"Retired question (key {r['question__key']}, never reuse it)"
                if r["question__retired"]
                else f"Question {r['question__order']} (key {r['question__key']})",
                r["n"],
            )
            for r in counts
        ]
    if kind == "exercise":
        return [("Checks of this exercise", ExerciseAttempt.objects.filter(exercise=obj).count())]
    if kind == "sandbox":
        return [("Runs of this lab", SandboxAttempt.objects.filter(sandbox=obj).count())]
    return []


def _starter(kind: str) -> str:
    """A new quiz, exercise or taxonomy starts from a short valid text, not an empty box."""
    from lessons.studio_forms import starter_text

    taxonomies = {
        t.slug: (t.name, [(c.slug, c.name) for c in t.categories.all()])
        for t in Taxonomy.objects.prefetch_related("categories").order_by("name")
    }
    return starter_text(kind, taxonomies)


@require_http_methods(["GET", "HEAD", "POST"])
@instructor_required
def studio_assessment_edit(request, kind, slug=None):
    if kind not in EDITABLE:
        return render(request, "404.html", status=404)
    model, _ = EDITABLE[kind]
    obj = get_object_or_404(model, slug=slug) if slug else None
    problems: list[str] = []
    new_slug = slug or request.POST.get("slug", "").strip()
    text = (
        request.POST.get("text", "") if request.method == "POST" else (_as_text(kind, obj) if obj else _starter(kind))
    )
    if request.method == "POST":
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", new_slug or ""):
            problems = ["Give a slug of lower-case letters, digits and hyphens."]
        else:
            try:
                saved, problems = save_assessment(kind, new_slug, text.replace("\r\n", "\n"))
            except MarkdownError as exc:  # rolled back: save_assessment is one transaction
                saved, problems = None, [str(exc)]
            if saved is not None:
                messages.success(request, f"Saved {kind} “{new_slug}”. Recorded attempts keep their scores.")
                return redirect("lessons:studio_assessment_edit", kind=kind, slug=new_slug)
    context = {
        "kind": kind,
        "obj": obj,
        "slug": new_slug,
        "text": text,
        "problems": problems,
        "problem_links": [("id_slug" if p.startswith("Give a slug") else "id_text", p) for p in problems],
        "problem_lines": offending_lines(problems, text),
        "attempts": _attempt_counts(kind, obj) if obj else [],
        "form_kinds": ("quiz", "exercise", "taxonomy"),
    }
    return render(request, "lessons/studio/assessment_edit.html", context, status=400 if problems else 200)


# -- export -----------------------------------------------------------------------------


@require_safe
@instructor_required
def studio_export(request):
    """The whole course as a zip of its text files, ready for fixtures/course."""
    buffer = io.BytesIO()
    with TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        try:
            files = write_course(course_data_from_database(), tmp)
        except CourseSourceError as exc:  # pragma: no cover - the database always holds a valid course
            return render(request, "400.html", {"message": "; ".join(exc.problems)}, status=400)
        for path in sorted(files):
            archive.write(path, Path("course") / path.relative_to(tmp))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="course-source.zip"'
    return response

"""Studio editors for quizzes, exercises and taxonomies as forms, with a live preview.

The form editors sit beside the text editor (lessons.views.studio.studio_assessment_edit)
on the same objects. Both save through save_assessment, so the import's validation runs
whichever the instructor uses. Structural buttons (add, remove, move) re-render the form
with 200 and write nothing; htmx swaps just the editor. Every view is for instructors and
admins only; every POST carries CSRF.
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from lessons.actions import course_data_from_database, save_assessment
from lessons.course_source import exercise_to_toml, quiz_to_toml, taxonomy_to_toml
from lessons.learners import Learner
from lessons.lesson_page import exercise_states, quiz_states
from lessons.markdown import render_markdown
from lessons.models import (
    Answer,
    Choice,
    Exercise,
    ExerciseAttempt,
    Lesson,
    Part,
    Quiz,
    Taxonomy,
)
from lessons.permissions import instructor_required
from lessons.studio_forms import (
    ExerciseEditor,
    QuizEditor,
    TaxonomyEditor,
    exercise_tree,
    quiz_tree,
    section_choices,
    structural_action,
    taxonomy_tree,
    unique_slug,
)

MODELS = {"quiz": Quiz, "exercise": Exercise, "taxonomy": Taxonomy}
WRITERS = {"quiz": quiz_to_toml, "exercise": exercise_to_toml, "taxonomy": taxonomy_to_toml}
FORMAT_DOC = Path(settings.BASE_DIR) / "fixtures" / "course" / "README.md"


def _stored(kind: str, slug: str):
    """The object as the import's data (QuizData, ...): what the text editor shows too."""
    course = course_data_from_database()
    items = {"quiz": course.quizzes, "exercise": course.exercises, "taxonomy": course.taxonomies}[kind]
    return next(i for i in items if i.slug == slug)


def _options(kind: str, obj, tree: dict | None = None) -> dict:
    """What an editor needs besides the submitted values: slugs in use, sections, keys, taxonomies."""
    options = {"new": obj is None, "taken": set() if obj else set(MODELS[kind].objects.values_list("slug", flat=True))}
    if kind == "quiz":
        lessons = Lesson.objects.select_related("part").only(
            "slug", "title", "headings", "source", "draft_source", "part__number", "order"
        )
        current = [q.get("section") or "" for q in (tree or {}).get("questions", [])]
        if obj:
            current += list(obj.questions.values_list("section", flat=True))
        options["sections"] = section_choices(
            obj.slug if obj else None, lessons.order_by("part__number", "order"), current
        )
        used: dict[str, set[str]] = {}
        if obj:
            for qkey, ckey in Choice.objects.filter(question__quiz=obj).values_list("question__key", "key"):
                used.setdefault(qkey, set()).add(ckey)
            for qkey in obj.questions.values_list("key", flat=True):
                used.setdefault(qkey, set())
        options["used_keys"] = used
    if kind == "exercise":
        options["taxonomies"] = {
            t.slug: (t.name, [(c.slug, c.name) for c in t.categories.all()])
            for t in Taxonomy.objects.prefetch_related("categories").order_by("name")
        }
    return options


def _editor(kind: str, obj, *, data=None, tree=None):
    cls = {"quiz": QuizEditor, "exercise": ExerciseEditor, "taxonomy": TaxonomyEditor}[kind]
    return cls(data=data, tree=tree, **_options(kind, obj, tree))


def _learners_per_question(quiz) -> dict[str, int]:
    """Question key → how many learners (users or guest sessions) answered it."""
    seen: dict[str, set] = {}
    for key, user_id, session in Answer.objects.filter(question__quiz=quiz).values_list(
        "question__key", "user_id", "session_key"
    ):
        seen.setdefault(key, set()).add(user_id or session)
    return {key: len(who) for key, who in seen.items()}


def _render(request, kind, obj, editor, *, focus=None, status=200, summary=None):
    context = {
        "kind": kind,
        "obj": obj,
        "editor": editor,
        "focus": focus or {},
        "summary": summary or [],
        "answered": _learners_per_question(obj) if kind == "quiz" and obj else {},
        "retired": obj.questions.filter(retired=True).count() if kind == "quiz" and obj else 0,
        "checked_by": (
            ExerciseAttempt.objects.filter(exercise=obj).values("user_id", "session_key").distinct().count()
            if kind == "exercise" and obj
            else 0
        ),
    }
    focus = context["focus"]
    if kind == "quiz":
        _mark_focus_quiz(editor, focus)
        context["rows"] = _quiz_rows(editor, focus, context["answered"])
    else:
        formset = editor.cases if kind == "exercise" else editor.categories
        _mark_focus_rows(formset, focus)
        prefix = "case" if kind == "exercise" else "category"
        context["rows"] = [
            {
                **_row(i, form, focus, f"{prefix}_up-{i}", f"{prefix}_down-{i}"),
                "remove": f"remove_{prefix}-{i}",
                "key": form["slug"].value() if kind == "exercise" and not form.errors else "",
            }
            for i, form in enumerate(formset.forms)
        ]
    context["focus_add"] = focus.get("what", "").startswith("add_")
    for form in _all_forms(editor):
        _describe_errors(form)
    if obj:
        context["form_url"] = reverse("lessons:studio_assessment_form", args=[kind, obj.slug])
        context["preview_url"] = reverse("lessons:studio_assessment_form_preview", args=[kind, obj.slug])
    else:
        context["form_url"] = reverse("lessons:studio_assessment_form_create", args=[kind])
        context["preview_url"] = reverse("lessons:studio_assessment_form_preview_new", args=[kind])
    template = "lessons/studio/assessment_form.html"
    if request.htmx and not request.htmx.boosted:
        template += "#editor"
    return render(request, template, context, status=status)


def _row(i, form, focus, up, down) -> dict:
    return {
        "i": i,
        "n": i + 1,
        "label": str(i + 1),
        "form": form,
        "up": up,
        "down": down,
        "focus_up": focus.get("q") == i and focus.get("c") is None and focus.get("what", "").endswith("_up"),
        "focus_down": focus.get("q") == i and focus.get("c") is None and focus.get("what", "").endswith("_down"),
    }


def _quiz_rows(editor, focus, answered) -> list[dict]:
    rows = []
    for i, form in enumerate(editor.questions.forms):
        key = form["key"].value() or ""
        row = _row(i, form, focus, f"move_up-{i}", f"move_down-{i}")
        row.update(
            key=key,
            answered=answered.get(key, 0),
            remove=f"remove_question-{i}",
            add_choice=f"add_choice-{i}",
            focus_add_choice=focus.get("q") == i and focus.get("what") == "add_choice",
            choices=editor.choices[i],
            choice_rows=[
                {
                    "j": j,
                    "n": j + 1,
                    "label": str(j + 1),
                    "form": choice,
                    "key": choice["key"].value() or "",
                    "up": f"choice_up-{i}-{j}",
                    "down": f"choice_down-{i}-{j}",
                    "remove": f"remove_choice-{i}-{j}",
                    "focus_up": focus.get("q") == i and focus.get("c") == j and focus.get("what") == "choice_up",
                    "focus_down": focus.get("q") == i and focus.get("c") == j and focus.get("what") == "choice_down",
                }
                for j, choice in enumerate(editor.choices[i].forms)
            ],
        )
        rows.append(row)
    return rows


def _all_forms(editor):
    yield editor.form
    if isinstance(editor, QuizEditor):
        yield from editor.questions.forms
        for formset in editor.choices:
            yield from formset.forms
    else:
        yield from (editor.cases if isinstance(editor, ExerciseEditor) else editor.categories).forms


def _describe_errors(form):
    """Point each field at its help and its error, so screen readers read both with the field."""
    for name, field in form.fields.items():
        ids = []
        if field.help_text:
            ids.append(f"{form[name].auto_id}_helptext")
        if form.is_bound and name in form.errors:
            ids.append(f"{form[name].auto_id}_error")
            field.widget.attrs["aria-invalid"] = "true"
        if ids and not isinstance(field.widget, forms.CheckboxSelectMultiple):
            field.widget.attrs["aria-describedby"] = " ".join(ids)


def _mark_focus_quiz(editor, focus):
    """Put `autofocus` on the field the instructor just added (new question, new choice)."""
    i, j, what = focus.get("q"), focus.get("c"), focus.get("what")
    if what == "prompt" and i is not None and i < len(editor.questions.forms):
        editor.questions.forms[i].fields["prompt"].widget.attrs["autofocus"] = True
    if what == "text" and i is not None and j is not None and i < len(editor.choices):
        forms_ = editor.choices[i].forms
        if j < len(forms_):
            forms_[j].fields["text"].widget.attrs["autofocus"] = True


def _mark_focus_rows(formset, focus):
    i, what = focus.get("q"), focus.get("what")
    if i is not None and i < len(formset.forms) and what in formset.forms[i].fields:
        formset.forms[i].fields[what].widget.attrs["autofocus"] = True


@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
@instructor_required
def studio_assessment_form(request, kind, slug=None):
    """A quiz, exercise or taxonomy as a form: structural buttons re-render, Save validates and saves."""
    if kind not in MODELS:
        return render(request, "404.html", status=404)
    obj = get_object_or_404(MODELS[kind], slug=slug) if slug else None
    trees = {"quiz": quiz_tree, "exercise": exercise_tree, "taxonomy": taxonomy_tree}
    if request.method in ("GET", "HEAD"):
        tree = trees[kind](_stored(kind, obj.slug)) if obj else None
        return _render(request, kind, obj, _editor(kind, obj, tree=tree))

    editor = _editor(kind, obj, data=request.POST)
    action = structural_action(request.POST)
    if action:
        tree = editor.tree()
        focus = editor.apply(tree, *action)
        if focus is None:
            return render(
                request, "400.html", {"message": "That button does not match this form. Reload the page."}, status=400
            )
        return _render(request, kind, obj, _editor(kind, obj, tree=tree), focus=focus)

    if not editor.is_valid():
        return _render(request, kind, obj, editor, status=400, summary=editor.error_summary())
    new_slug = obj.slug if obj else editor.form.cleaned_data["slug"]
    text = WRITERS[kind](editor.to_data(new_slug))
    saved, problems = save_assessment(kind, new_slug, text)
    if saved is None:
        for problem in problems:
            editor.field_for_problem(problem)
        return _render(request, kind, obj, editor, status=400, summary=editor.error_summary())
    messages.success(request, f"Saved {kind} “{new_slug}”. Recorded attempts keep their scores.")
    return redirect("lessons:studio_assessment_form", kind=kind, slug=new_slug)


class _Rollback(Exception):
    pass


@require_POST
@instructor_required
def studio_assessment_form_preview(request, kind, slug=None):
    """The editor's current values rendered by the learners' templates, inert; nothing is kept.

    The values are saved inside a transaction that is always rolled back, so the preview
    runs the import's own validation and rendering without writing anything.
    """
    if kind not in MODELS:
        return render(request, "404.html", status=404)
    obj = get_object_or_404(MODELS[kind], slug=slug) if slug else None
    data = request.POST
    if obj is None and not data.get("slug", "").strip():
        # A new object without a slug yet still previews, under a slug nothing uses.
        data = data.copy()
        data["slug"] = unique_slug("preview", set(MODELS[kind].objects.values_list("slug", flat=True)), "preview")
    editor = _editor(kind, obj, data=data)
    problems: list[str] = []
    html = ""
    if not editor.is_valid():
        problems = [message for message, _ in editor.error_summary()]
    else:
        preview_slug = obj.slug if obj else editor.form.cleaned_data["slug"]
        text = WRITERS[kind](editor.to_data(preview_slug))
        try:
            with transaction.atomic():
                saved, problems = save_assessment(kind, preview_slug, text)
                if saved is not None:
                    html = _preview_html(kind, preview_slug)
                raise _Rollback
        except _Rollback:
            pass
    return render(request, "lessons/studio/assessment_form_preview.html", {"problems": problems, "html": html})


def _preview_html(kind: str, slug: str) -> str:
    nobody = Learner(None, "")
    stand_in = Lesson(slug="preview", part=Part(slug="preview"))
    if kind == "quiz":
        quiz = Quiz.objects.for_display().get(slug=slug)
        block = {"type": "quiz", "state": quiz_states([quiz], nobody)[slug]}
    elif kind == "exercise":
        exercise = Exercise.objects.for_display().get(slug=slug)
        block = {"type": "exercise", "state": exercise_states([exercise], nobody)[slug]}
    else:
        taxonomy = Taxonomy.objects.prefetch_related("categories").get(slug=slug)
        return render_to_string("lessons/studio/taxonomy_preview.html", {"taxonomy": taxonomy})
    return render_to_string("lessons/includes/blocks.html", {"blocks": [block], "lesson": stand_in})


@require_safe
@instructor_required
def studio_format_doc(request):
    """fixtures/course/README.md, the course-file format, as a studio page."""
    text = FORMAT_DOC.read_text(encoding="utf-8")
    # The page supplies the level-1 heading (the renderer keeps lessons to ## and below).
    first, _, rest = text.partition("\n")
    title, body = (first[2:].strip(), rest) if first.startswith("# ") else ("The course-file format", text)
    return render(request, "lessons/studio/format_doc.html", {"title": title, "html": render_markdown(body)})

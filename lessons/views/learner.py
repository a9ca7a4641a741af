"""Pages learners read: the outline, a part, a lesson, the about page."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from lessons.models import Course, Lesson, Part


@require_GET
@login_not_required
def outline(request):
    parts = Part.objects.with_published_lessons()
    return render(request, "lessons/outline.html", {"course": Course.objects.first(), "parts": parts})


@require_GET
@login_not_required
def part_detail(request, part_slug):
    part = get_object_or_404(Part.objects.with_published_lessons(), slug=part_slug)
    return render(request, "lessons/part_detail.html", {"part": part})


@require_GET
@login_not_required
def lesson_detail(request, part_slug, lesson_slug):
    lesson = get_object_or_404(
        Lesson.objects.published().select_related("part"), part__slug=part_slug, slug=lesson_slug
    )
    siblings = list(
        Lesson.objects.published().in_order().select_related("part").only("slug", "title", "part__slug", "part__number", "order")
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == lesson.pk)
    context = {
        "lesson": lesson,
        "part": lesson.part,
        "previous": siblings[index - 1] if index > 0 else None,
        "next": siblings[index + 1] if index + 1 < len(siblings) else None,
        "position": index + 1,
        "total": len(siblings),
    }
    return render(request, "lessons/lesson_detail.html", context)


@require_GET
@login_not_required
def lesson_by_slug(request, lesson_slug):
    """Stable short link used by quiz feedback ("reread this section")."""
    lesson = get_object_or_404(Lesson.objects.published().select_related("part"), slug=lesson_slug)
    return redirect(lesson.get_absolute_url())


@require_GET
@login_not_required
def about(request):
    return render(request, "lessons/about.html")

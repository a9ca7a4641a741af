"""Accounts and the learner's own data: sign-up, log-in (with guest progress merged),
the dashboard, exports, and account deletion."""

import json

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from lessons import review as spaced_review
from lessons.actions import delete_learner, merge_guest_progress
from lessons.csv_export import streamed_csv
from lessons.forms import LengthCheckedAuthenticationForm, SignUpForm
from lessons.learners import GUEST_KEY, Learner
from lessons.models import Answer, Certificate, ExerciseAttempt, LessonProgress, SandboxAttempt
from lessons.permissions import private_no_store
from lessons.progress import STATUS_LABELS, course_progress, dashboard


def _adopt_guest_progress(request, user) -> bool:
    """Guests' answers and progress follow them into their account. True if there were any."""
    guest_key = request.session.pop(GUEST_KEY, "")
    merge_guest_progress(guest_key, user)
    return bool(guest_key)


def _safe_next(request) -> str:
    """The ?next= page to return to after sign-up, if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@require_http_methods(["GET", "HEAD", "POST"])
@login_not_required
def signup(request):
    if request.user.is_authenticated:
        return redirect("lessons:outline")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        guest_key = request.session.get(GUEST_KEY, "")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[GUEST_KEY] = guest_key
        _adopt_guest_progress(request, user)
        messages.success(request, "Welcome! Your account is ready, and anything you did as a guest is kept.")
        return redirect(_safe_next(request) or "lessons:dashboard")
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request)})


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    authentication_form = LengthCheckedAuthenticationForm

    def form_valid(self, form):
        response = super().form_valid(form)
        if _adopt_guest_progress(self.request, form.get_user()):
            kept = "Welcome back. What you did as a guest in this browser is now in your account."
            messages.success(self.request, kept)
        return response


@private_no_store
@require_safe
@login_not_required
def dashboard_view(request):
    learner = Learner.from_request(request)
    progress = course_progress(learner)
    history, review = dashboard(learner, progress)
    context = {"progress": progress, "history": history, "review": review, "labels": STATUS_LABELS}
    context.update(spaced_review.dashboard_context(learner, [pp.part for pp in progress.parts], timezone.now()))
    return render(request, "lessons/dashboard.html", context)


def _export_rows(learner):
    progress = LessonProgress.objects.for_learner(learner).select_related("lesson")
    answers = Answer.objects.for_learner(learner).select_related("question__quiz").order_by("created_at", "id")
    attempts = ExerciseAttempt.objects.for_learner(learner).select_related("exercise").order_by("created_at", "id")
    return progress, answers, attempts


def _lab_runs(learner):
    return SandboxAttempt.objects.for_learner(learner).select_related("sandbox").order_by("created_at", "id")


@private_no_store
@require_safe
def export_json(request):
    progress, answers, attempts = _export_rows(Learner.from_request(request))
    data = {
        "user": request.user.get_username(),
        "exported_at": timezone.now().isoformat(),
        "lessons": [
            {
                "lesson": row.lesson.slug,
                "first_opened_at": row.first_opened_at.isoformat(),
                "last_opened_at": row.last_opened_at.isoformat(),
                "completed_at": row.completed_at.isoformat() if row.completed_at else None,
            }
            for row in progress
        ],
        "answers": [
            {
                "quiz": a.question.quiz.slug,
                "question": a.question.key,
                **a.as_seen,
                "choices": a.choice_ids,
                "score": a.score,
                "at": a.created_at.isoformat(),
            }
            for a in answers
        ],
        "exercise_attempts": [
            {
                "exercise": t.exercise.slug,
                "answers": t.answers,
                "results": t.results,
                "score": t.score,
                "at": t.created_at.isoformat(),
            }
            for t in attempts
        ],
        "lab_runs": [
            {
                "lab": r.sandbox.slug,
                "weights": r.weights,
                "actions": r.actions,
                "reward": r.proxy_reward,
                "objective_met": r.objective_met,
                "at": r.created_at.isoformat(),
            }
            for r in _lab_runs(Learner.from_request(request))
        ],
        "review_cards": spaced_review.export_cards(Learner.from_request(request)),
        "certificates": [
            {
                "title": c.title,
                "name": c.name,
                "url": request.build_absolute_uri(c.get_absolute_url()),
                "issued_at": c.issued_at.isoformat(),
                "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
            }
            for c in Certificate.objects.for_user(request.user)
        ],
    }
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="alignment-course-my-data.json"'
    return response


@private_no_store
@require_safe
def export_csv(request):
    progress, answers, attempts = _export_rows(Learner.from_request(request))

    def rows():
        yield ["record", "item", "detail", "score", "when"]
        for row in progress:
            state = "completed" if row.completed_at else "opened"
            yield ["lesson", row.lesson.slug, state, "", (row.completed_at or row.last_opened_at).isoformat()]
        for a in answers:
            item = f"{a.question.quiz.slug} {a.question.key}"
            seen = json.dumps(a.as_seen, ensure_ascii=False)
            yield ["answer", item, seen, f"{a.score:.3f}", a.created_at.isoformat()]
        for t in attempts:
            yield ["exercise", t.exercise.slug, json.dumps(t.answers), f"{t.score:.3f}", t.created_at.isoformat()]
        for r in _lab_runs(Learner.from_request(request)):
            yield ["lab", r.sandbox.slug, json.dumps(r.weights), f"{r.score:.3f}", r.created_at.isoformat()]
        for card in spaced_review.export_cards(Learner.from_request(request)):
            yield ["review card", card["item"], f"{card['state']}, due {card['due']}", "", card["last_review"] or ""]

    return streamed_csv(rows(), "alignment-course-my-data.csv")


@private_no_store
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request):
    """Delete the account and all its progress and attempts, after typing the username."""
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm", "").strip() == request.user.get_username():
            user = request.user
            logout(request)
            delete_learner(user)
            messages.success(request, "Your account and all its data have been deleted.")
            return redirect("lessons:outline")
        error = "Type your username exactly to confirm."
    return render(request, "registration/delete_account.html", {"error": error}, status=400 if error else 200)

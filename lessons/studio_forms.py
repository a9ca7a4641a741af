"""Quizzes, exercises and taxonomies edited through forms in the studio (no TOML needed).

An editor is a main form plus formsets. Its values are a plain tree (dicts and lists), which
the structural buttons change (add, remove, move: plain submit buttons, so they work without
JavaScript) and which becomes the import's own QuizData / ExerciseData / TaxonomyData when
the instructor saves. Saving writes that data as course-file text and goes through
save_assessment, so both editors run the import's validation and round-trip losslessly.

Keys are identity (see fixtures/course/README.md): existing keys are carried in hidden
fields and never changed; a new question gets the next unused "qN", a new choice the next
unused letter, counting retired rows too so a key is never reused.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

from django import forms
from django.forms import formset_factory
from django.utils.text import slugify

from lessons.course_source import (
    QUESTION_KINDS,
    CaseData,
    CategoryData,
    ChoiceData,
    ExerciseData,
    QuestionData,
    QuizData,
    TaxonomyData,
    split_blocks,
)

MAX_QUESTIONS = 40
MAX_CHOICES = 10
MAX_CASES = 40
MAX_CATEGORIES = 30
KIND_LABELS = {
    "single": "Single choice: exactly one right answer",
    "multiple": "Multiple choice: select all that apply",
    "true_false": "True or false",
}
assert set(KIND_LABELS) == set(QUESTION_KINDS)

# What a new quiz, exercise or taxonomy starts from: short, and valid once it has a slug.
QUIZ_TEMPLATE = {
    "title": "New quiz",
    "pass_mark": 70,
    "questions": [
        {
            "key": "q1",
            "kind": "single",
            "prompt": "Write the question here.",
            "explanation": "Explain the right answer in a sentence or two.",
            "section": "",
            "choices": [
                {"key": "a", "text": "The right answer", "correct": True, "feedback": "Say why this is right."},
                {"key": "b", "text": "A tempting wrong answer", "correct": False, "feedback": "Say why it is not."},
            ],
        }
    ],
}


def _text(value) -> str:
    """Browsers send textarea line breaks as CRLF; the files use LF."""
    return str(value or "").replace("\r\n", "\n").strip()


def next_question_key(used: set[str]) -> str:
    numbers = [int(m.group(1)) for k in used if (m := re.fullmatch(r"q(\d+)", k))]
    return f"q{max(numbers, default=0) + 1}"


def next_choice_key(used: set[str]) -> str:
    letters = [string.ascii_lowercase.index(k) for k in used if len(k) == 1 and k in string.ascii_lowercase]
    nxt = max(letters, default=-1) + 1
    if nxt < 26:
        return string.ascii_lowercase[nxt]
    numbers = [int(m.group(1)) for k in used if (m := re.fullmatch(r"c(\d+)", k))]
    return f"c{max(numbers + [26], default=26) + 1}"


def unique_slug(wanted: str, taken: set[str], fallback: str) -> str:
    base = slugify(wanted)[:40].strip("-") or fallback
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _move(items: list, index: int, step: int) -> int | None:
    """Swap items[index] with its neighbour; the item's new index, or None if it cannot move."""
    target = index + step
    if not (0 <= index < len(items) and 0 <= target < len(items)):
        return None
    items[index], items[target] = items[target], items[index]
    return target


# -- forms -------------------------------------------------------------------------------


class SlugMixin:
    def add_slug(self, new: bool, kind: str, taken: set[str]):
        self.taken_slugs = taken
        if new:
            self.fields = {
                "slug": forms.SlugField(
                    max_length=50,
                    help_text=f"Lower-case letters, digits and hyphens; a lesson embeds it with [{kind}: slug].",
                ),
                **self.fields,
            }

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in self.taken_slugs:
            raise forms.ValidationError("This slug is already used; choose another.")
        return slug


class QuizForm(SlugMixin, forms.Form):
    title = forms.CharField(max_length=200)
    pass_mark = forms.IntegerField(min_value=1, max_value=100, help_text="Percent of points needed to pass.")

    def __init__(self, *args, new=False, taken=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_slug(new, "quiz", set(taken))


class QuestionForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    kind = forms.ChoiceField(choices=list(KIND_LABELS.items()), label="Kind")
    prompt = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Markdown.")
    explanation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Shown after any answer: why the right answer is right."
    )
    section = forms.ChoiceField(
        required=False,
        label="Section it teaches",
        help_text="A learner who misses the question is sent back to this heading.",
        error_messages={"invalid_choice": "That section is not a heading of a lesson embedding this quiz."},
    )

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", "(none)"), *sections]


class ChoiceForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    text = forms.CharField(max_length=1000, label="Answer text")
    correct = forms.BooleanField(required=False, label="Correct")
    feedback = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What a learner reads after picking this choice.",
        error_messages={"required": "Write the feedback a learner sees after picking this choice."},
    )


QuestionFormSet = formset_factory(
    QuestionForm, extra=0, max_num=MAX_QUESTIONS, validate_max=True, absolute_max=MAX_QUESTIONS
)
ChoiceFormSet = formset_factory(ChoiceForm, extra=0, max_num=MAX_CHOICES, validate_max=True, absolute_max=MAX_CHOICES)


def _raw(form) -> dict:
    """A bound form's submitted values, valid or not (what the instructor typed)."""
    return {name: form[name].value() for name in form.fields}


class QuizEditor:
    """The quiz form, its question formset and one choice formset per question."""

    kind = "quiz"

    def __init__(self, *, data=None, tree=None, new=False, taken=(), sections=(), used_keys=None):
        self.new, self.sections = new, list(sections)
        self.used_keys = used_keys or {}
        self.bound = data is not None
        if self.bound:
            self.form = QuizForm(data, new=new, taken=taken)
            self.questions = QuestionFormSet(data, prefix="questions", form_kwargs={"sections": self.sections})
            self.choices = [
                ChoiceFormSet(data, prefix=f"questions-{i}-choices") for i in range(len(self.questions.forms))
            ]
        else:
            tree = tree or QUIZ_TEMPLATE
            self.form = QuizForm(initial=tree, new=new, taken=taken)
            qs = tree["questions"]
            self.questions = QuestionFormSet(
                initial=[{k: v for k, v in q.items() if k != "choices"} for q in qs],
                prefix="questions",
                form_kwargs={"sections": self.sections},
            )
            self.choices = [
                ChoiceFormSet(initial=q["choices"], prefix=f"questions-{i}-choices") for i, q in enumerate(qs)
            ]

    def tree(self) -> dict:
        if not self.bound:
            raise ValueError("an unbound editor has its tree as initial data")
        main = _raw(self.form)
        main["questions"] = [
            {**_raw(qf), "choices": [_raw(cf) for cf in self.choices[i].forms]}
            for i, qf in enumerate(self.questions.forms)
        ]
        return main

    def _all_keys(self, tree) -> set[str]:
        return {q["key"] for q in tree["questions"] if q.get("key")} | set(self.used_keys)

    def apply(self, tree: dict, action: str, args: tuple[int, ...]) -> dict | None:
        """Change `tree` for one structural button; returns what to focus, or None if unknown."""
        qs = tree["questions"]
        if action == "add_question" and len(qs) < MAX_QUESTIONS:
            key = next_question_key(self._all_keys(tree))
            qs.append(
                {
                    "key": key,
                    "kind": "single",
                    "prompt": "",
                    "explanation": "",
                    "section": "",
                    "choices": [
                        {"key": "a", "text": "", "correct": True, "feedback": ""},
                        {"key": "b", "text": "", "correct": False, "feedback": ""},
                    ],
                }
            )
            return {"q": len(qs) - 1, "what": "prompt"}
        if action == "add_question":
            return {"what": "add_question"}
        i = args[0] if args else -1
        if not 0 <= i < len(qs):
            return None
        if action == "remove_question":
            del qs[i]
            return {"q": max(i - 1, 0), "what": "legend"} if qs else {"what": "add_question"}
        if action in ("move_up", "move_down"):
            new = _move(qs, i, -1 if action == "move_up" else 1)
            if new is None:
                return {"q": i, "what": action}
            at_edge = (action == "move_up" and new == 0) or (action == "move_down" and new == len(qs) - 1)
            return {"q": new, "what": ("move_down" if action == "move_up" else "move_up") if at_edge else action}
        choices = qs[i]["choices"]
        if action == "add_choice":
            if len(choices) < MAX_CHOICES:
                used = {c["key"] for c in choices if c.get("key")} | set(self.used_keys.get(qs[i]["key"], ()))
                choices.append({"key": next_choice_key(used), "text": "", "correct": False, "feedback": ""})
                return {"q": i, "c": len(choices) - 1, "what": "text"}
            return {"q": i, "what": "add_choice"}
        j = args[1] if len(args) > 1 else -1
        if not 0 <= j < len(choices):
            return None
        if action == "remove_choice":
            del choices[j]
            return {"q": i, "what": "add_choice"}
        if action in ("choice_up", "choice_down"):
            new = _move(choices, j, -1 if action == "choice_up" else 1)
            if new is None:
                return {"q": i, "c": j, "what": action}
            at_edge = (action == "choice_up" and new == 0) or (action == "choice_down" and new == len(choices) - 1)
            flip = {"choice_up": "choice_down", "choice_down": "choice_up"}
            return {"q": i, "c": new, "what": flip[action] if at_edge else action}
        return None

    def is_valid(self) -> bool:
        valid = self.form.is_valid() & self.questions.is_valid()
        for i, formset in enumerate(self.choices):
            valid &= formset.is_valid()
            question = self.questions.forms[i]
            if not question.is_valid() or not formset.is_valid():
                continue
            kind = question.cleaned_data["kind"]
            right = sum(bool(cf.cleaned_data.get("correct")) for cf in formset.forms)
            if len(formset.forms) < 2:
                question.add_error("kind", "A question needs at least two choices.")
            elif right == 0:
                question.add_error("kind", "Mark at least one choice as correct.")
            elif kind != "multiple" and right > 1:
                question.add_error(
                    "kind", f"A {KIND_LABELS[kind].split(':')[0].lower()} question has one correct choice, not {right}."
                )
            elif kind == "true_false" and len(formset.forms) != 2:
                question.add_error("kind", "A true-or-false question has exactly two choices.")
            valid &= not question.errors
        if not self.questions.forms:
            self.questions._non_form_errors = self.questions.error_class(["A quiz needs at least one question."])
            valid = False
        return bool(valid)

    def to_data(self, slug: str) -> QuizData:
        """The cleaned editor as the import's QuizData (call after is_valid)."""
        keys = self._all_keys(self.tree())
        questions = []
        for i, qf in enumerate(self.questions.forms):
            q = qf.cleaned_data
            key = q["key"] or next_question_key(keys)
            keys.add(key)
            used = {cf.cleaned_data["key"] for cf in self.choices[i].forms if cf.cleaned_data["key"]}
            used |= set(self.used_keys.get(key, ()))
            choices = []
            for cf in self.choices[i].forms:
                c = cf.cleaned_data
                ckey = c["key"] or next_choice_key(used)
                used.add(ckey)
                choices.append(ChoiceData(_text(c["text"]), bool(c["correct"]), _text(c["feedback"]), ckey))
            questions.append(
                QuestionData(q["kind"], _text(q["prompt"]), _text(q["explanation"]), choices, q["section"], key)
            )
        title = _text(self.form.cleaned_data["title"])
        return QuizData(slug, title, self.form.cleaned_data["pass_mark"], questions, Path(f"{slug}.toml"))

    def field_for_problem(self, problem: str):
        """Attach a save_assessment problem ("question 2: ...") to the field it is about."""
        match = re.match(r"question (\d+): (.*)", problem)
        if match and 0 < int(match.group(1)) <= len(self.questions.forms):
            form = self.questions.forms[int(match.group(1)) - 1]
            form.add_error("section" if "section" in problem or "heading" in problem else "kind", match.group(2))
        else:
            self.form.add_error(None, problem)

    def error_summary(self) -> list[tuple[str, str]]:
        """(message, id of the field) for every error, in page order, for the summary on top."""
        out = _main_errors(self.form)
        out += [(str(e), "") for e in self.questions.non_form_errors()]
        for i, qf in enumerate(self.questions.forms):
            for name, errors in qf.errors.items():
                out += [(f"Question {i + 1}, {qf[name].label.lower()}: {e}", qf[name].id_for_label) for e in errors]
            for e in self.choices[i].non_form_errors():
                out.append((f"Question {i + 1}: {e}", ""))
            for j, cf in enumerate(self.choices[i].forms):
                for name, errors in cf.errors.items():
                    out += [
                        (f"Question {i + 1}, choice {j + 1}, {cf[name].label.lower()}: {e}", cf[name].id_for_label)
                        for e in errors
                    ]
        return out


def quiz_tree(quiz: QuizData) -> dict:
    return {
        "title": quiz.title,
        "pass_mark": quiz.pass_mark,
        "questions": [
            {
                "key": q.key,
                "kind": q.kind,
                "prompt": q.prompt,
                "explanation": q.explanation,
                "section": q.section,
                "choices": [
                    {"key": c.key, "text": c.text, "correct": c.correct, "feedback": c.feedback} for c in q.choices
                ],
            }
            for q in quiz.questions
        ],
    }


def section_choices(quiz_slug: str | None, lessons, current=()) -> list:
    """<select> options for a question's section: headings of the lessons embedding the quiz.

    A quiz not embedded yet may point at any lesson's headings (grouped by lesson); sections
    already chosen stay available. `lessons` holds Lesson rows with slug, title, headings, source.
    """
    lessons = list(lessons)
    embedding = [
        lesson
        for lesson in lessons
        if quiz_slug and ("quiz", quiz_slug) in split_blocks(lesson.source) + split_blocks(lesson.draft_source or "")
    ]
    wanted = {s.split("#", 1)[0] for s in current if s}
    shown = [lesson for lesson in lessons if lesson in embedding or lesson.slug in wanted] if embedding else lessons
    groups = []
    for lesson in shown:
        options = [(f"{lesson.slug}#{h['id']}", "– " * (h["level"] - 2) + h["text"]) for h in lesson.headings]
        if options:
            groups.append((lesson.title, options))
    return groups


# -- exercises -----------------------------------------------------------------------------


def exercise_template(taxonomy_slug: str, category_slug: str = "") -> dict:
    case = {
        "slug": "first-case",
        "title": "First case",
        "scenario": "Describe what happened, in a few sentences.",
        "source_title": "Where the case comes from",
        "source_url": "https://example.org/",
        "answers": [category_slug] if category_slug else [],
        "also_accept": [],
        "explanation": "Why the case belongs in its category.",
        "why_not": {},
    }
    return {
        "title": "New exercise",
        "taxonomy": taxonomy_slug,
        "multi_label": False,
        "pass_mark": 70,
        "instructions": "Sort each case into the category that fits it best.",
        "cases": [case],
    }


class ExerciseForm(SlugMixin, forms.Form):
    title = forms.CharField(max_length=200)
    taxonomy = forms.ChoiceField(help_text="The categories learners sort the cases into.")
    multi_label = forms.BooleanField(required=False, label="A case may belong to several categories")
    pass_mark = forms.IntegerField(min_value=1, max_value=100, help_text="Percent of points needed to pass.")
    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Markdown.")

    def __init__(self, *args, new=False, taken=(), taxonomies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["taxonomy"].choices = list(taxonomies)
        self.add_slug(new, "exercise", set(taken))


class CaseForm(forms.Form):
    slug = forms.SlugField(
        max_length=60, required=False, help_text="Identity of the case; left empty, it is made from the title."
    )
    title = forms.CharField(max_length=200)
    scenario = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), help_text="Markdown.")
    source_title = forms.CharField(max_length=300, label="Source title")
    source_url = forms.URLField(max_length=500, label="Source URL", assume_scheme="https")
    answers = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, label="Correct categories")
    also_accept = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Also accepted",
        help_text="Single-label exercises only: other categories that still count as right.",
    )
    explanation = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Shown after a check.")

    def __init__(self, *args, categories=(), multi_label=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories, self.multi_label = list(categories), multi_label
        self.fields["answers"].choices = self.categories
        self.fields["also_accept"].choices = self.categories
        for slug, name in self.categories:
            self.fields[f"why_not_{slug}"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 2}), required=False, label=f"Why not {name}"
            )

    def why_not_fields(self):
        return [self[f"why_not_{slug}"] for slug, _ in self.categories]

    def clean(self):
        data = super().clean()
        if (source_url := data.get("source_url")) and not source_url.startswith("https://"):
            self.add_error("source_url", "Link to the source with an https:// address.")
        answers, also = data.get("answers") or [], data.get("also_accept") or []
        if not self.multi_label and len(answers) > 1:
            self.add_error("answers", "Single-label exercise: tick one category; put others under also accepted.")
        if self.multi_label and also:
            self.add_error("also_accept", "Also accepted is for single-label exercises only.")
        if set(answers) & set(also):
            self.add_error("also_accept", "A category cannot be both correct and also accepted.")
        return data


CaseFormSet = formset_factory(CaseForm, extra=0, max_num=MAX_CASES, validate_max=True, absolute_max=MAX_CASES)


def _case_initial(case: dict) -> dict:
    out = {k: v for k, v in case.items() if k != "why_not"}
    out.update({f"why_not_{slug}": text for slug, text in (case.get("why_not") or {}).items()})
    return out


class ExerciseEditor:
    kind = "exercise"

    def __init__(self, *, data=None, tree=None, new=False, taken=(), taxonomies=None):
        """`taxonomies` maps slug → (name, [(category slug, name)])."""
        self.new, self.taxonomies = new, taxonomies or {}
        options = [(slug, name) for slug, (name, _) in self.taxonomies.items()]
        self.bound = data is not None
        if self.bound:
            self.form = ExerciseForm(data, new=new, taken=taken, taxonomies=options)
            chosen = self.form["taxonomy"].value()
            multi = bool(self.form["multi_label"].value())
        else:
            first = next(iter(self.taxonomies), "")
            categories = self.taxonomies[first][1] if first else []
            tree = tree or exercise_template(first, categories[0][0] if categories else "")
            self.form = ExerciseForm(initial=tree, new=new, taken=taken, taxonomies=options)
            chosen, multi = tree["taxonomy"], tree["multi_label"]
        self.categories = self.taxonomies.get(chosen, ("", []))[1]
        kwargs = {"categories": self.categories, "multi_label": multi}
        if self.bound:
            self.cases = CaseFormSet(data, prefix="cases", form_kwargs=kwargs)
        else:
            self.cases = CaseFormSet(
                initial=[_case_initial(c) for c in tree["cases"]], prefix="cases", form_kwargs=kwargs
            )

    def tree(self) -> dict:
        main = _raw(self.form)
        main["cases"] = []
        for cf in self.cases.forms:
            raw = _raw(cf)
            why = {slug: raw.pop(f"why_not_{slug}") for slug, _ in self.categories}
            main["cases"].append({**raw, "why_not": {k: v for k, v in why.items() if v}})
        return main

    def apply(self, tree: dict, action: str, args: tuple[int, ...]) -> dict | None:
        cases = tree["cases"]
        if action == "add_case":
            if len(cases) < MAX_CASES:
                cases.append(
                    {
                        "slug": "",
                        "title": "",
                        "scenario": "",
                        "source_title": "",
                        "source_url": "",
                        "answers": [],
                        "also_accept": [],
                        "explanation": "",
                        "why_not": {},
                    }
                )
                return {"q": len(cases) - 1, "what": "title"}
            return {"what": "add_case"}
        if action == "refresh":
            return {"what": "taxonomy"}
        i = args[0] if args else -1
        if not 0 <= i < len(cases):
            return None
        if action == "remove_case":
            del cases[i]
            return {"q": max(i - 1, 0), "what": "legend"} if cases else {"what": "add_case"}
        if action in ("case_up", "case_down"):
            new = _move(cases, i, -1 if action == "case_up" else 1)
            if new is None:
                return {"q": i, "what": action}
            at_edge = (action == "case_up" and new == 0) or (action == "case_down" and new == len(cases) - 1)
            return {"q": new, "what": ("case_down" if action == "case_up" else "case_up") if at_edge else action}
        return None

    def is_valid(self) -> bool:
        valid = self.form.is_valid() & self.cases.is_valid()
        if not self.cases.forms:
            self.cases._non_form_errors = self.cases.error_class(["An exercise needs at least one case."])
            valid = False
        return bool(valid)

    def to_data(self, slug: str) -> ExerciseData:
        d = self.form.cleaned_data
        taken = {cf.cleaned_data["slug"] for cf in self.cases.forms if cf.cleaned_data["slug"]}
        cases = []
        for n, cf in enumerate(self.cases.forms, 1):
            c = cf.cleaned_data
            case_slug = c["slug"] or unique_slug(c["title"], taken, f"case-{n}")
            taken.add(case_slug)
            why_not = {s: _text(c[f"why_not_{s}"]) for s, _ in self.categories if _text(c[f"why_not_{s}"])}
            cases.append(
                CaseData(
                    case_slug,
                    _text(c["title"]),
                    _text(c["scenario"]),
                    _text(c["source_title"]),
                    _text(c["source_url"]),
                    list(c["answers"]),
                    list(c["also_accept"]),
                    _text(c["explanation"]),
                    why_not,
                )
            )
        return ExerciseData(
            slug,
            _text(d["title"]),
            d["taxonomy"],
            _text(d["instructions"]),
            d["multi_label"],
            d["pass_mark"],
            cases,
            Path(f"{slug}.toml"),
        )

    def field_for_problem(self, problem: str):
        match = re.match(r"case (\d+): (.*)", problem)
        if match and 0 < int(match.group(1)) <= len(self.cases.forms):
            self.cases.forms[int(match.group(1)) - 1].add_error(None, match.group(2))
        else:
            self.form.add_error(None, problem)

    def error_summary(self) -> list[tuple[str, str]]:
        out = _main_errors(self.form)
        out += [(str(e), "") for e in self.cases.non_form_errors()]
        for i, cf in enumerate(self.cases.forms):
            for name, errors in cf.errors.items():
                if name == "__all__":
                    out += [(f"Case {i + 1}: {e}", f"edit-case-{i}-legend") for e in errors]
                else:
                    label = cf[name].label.lower()
                    out += [(f"Case {i + 1}, {label}: {e}", _field_anchor(cf[name])) for e in errors]
        return out


def _main_errors(form) -> list[tuple[str, str]]:
    out = [(str(e), "") for e in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name != "__all__":
            out += [(f"{form[name].label}: {e}", form[name].id_for_label) for e in errors]
    return out


def _field_anchor(bound_field) -> str:
    """The id to link to: checkbox groups have no single input id, so use the first box's."""
    if isinstance(bound_field.field.widget, forms.CheckboxSelectMultiple):
        return f"{bound_field.auto_id}_0"
    return bound_field.id_for_label


def exercise_tree(exercise: ExerciseData) -> dict:
    return {
        "title": exercise.title,
        "taxonomy": exercise.taxonomy,
        "multi_label": exercise.multi_label,
        "pass_mark": exercise.pass_mark,
        "instructions": exercise.instructions,
        "cases": [
            {
                "slug": c.slug,
                "title": c.title,
                "scenario": c.scenario,
                "source_title": c.source_title,
                "source_url": c.source_url,
                "answers": list(c.answers),
                "also_accept": list(c.also_accept),
                "explanation": c.explanation,
                "why_not": dict(c.why_not),
            }
            for c in exercise.cases
        ],
    }


# -- taxonomies --------------------------------------------------------------------------------

TAXONOMY_TEMPLATE = {
    "name": "New taxonomy",
    "description": "",
    "categories": [
        {"slug": "first-category", "name": "First category", "definition": "What belongs here.", "order": 1},
        {"slug": "second-category", "name": "Second category", "definition": "What belongs here.", "order": 2},
    ],
}


class TaxonomyForm(SlugMixin, forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Markdown.")

    def __init__(self, *args, new=False, taken=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_slug(new, "taxonomy", set(taken))


class CategoryForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=60, required=False, help_text="Left empty, it is made from the name. Exercises refer to it."
    )
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Markdown.")
    order = forms.IntegerField(min_value=1, max_value=999, help_text="Categories are listed by this number.")


CategoryFormSet = formset_factory(
    CategoryForm, extra=0, max_num=MAX_CATEGORIES, validate_max=True, absolute_max=MAX_CATEGORIES
)


def _category_slug(cleaned: dict, n: int) -> str:
    return cleaned["slug"] or unique_slug(cleaned["name"], set(), f"category-{n}")


class TaxonomyEditor:
    kind = "taxonomy"

    def __init__(self, *, data=None, tree=None, new=False, taken=()):
        self.new = new
        self.bound = data is not None
        if self.bound:
            self.form = TaxonomyForm(data, new=new, taken=taken)
            self.categories = CategoryFormSet(data, prefix="categories")
        else:
            tree = tree or TAXONOMY_TEMPLATE
            self.form = TaxonomyForm(initial=tree, new=new, taken=taken)
            self.categories = CategoryFormSet(initial=tree["categories"], prefix="categories")

    def tree(self) -> dict:
        return {**_raw(self.form), "categories": [_raw(cf) for cf in self.categories.forms]}

    def apply(self, tree: dict, action: str, args: tuple[int, ...]) -> dict | None:
        cats = tree["categories"]
        if action == "add_category":
            if len(cats) < MAX_CATEGORIES:
                orders = [int(c["order"]) for c in cats if str(c.get("order") or "").isdigit()]
                cats.append({"slug": "", "name": "", "definition": "", "order": max(orders, default=0) + 1})
                return {"q": len(cats) - 1, "what": "name"}
            return {"what": "add_category"}
        i = args[0] if args else -1
        if action == "remove_category" and 0 <= i < len(cats):
            del cats[i]
            return {"q": max(i - 1, 0), "what": "legend"} if cats else {"what": "add_category"}
        return None

    def is_valid(self) -> bool:
        valid = self.form.is_valid() & self.categories.is_valid()
        if valid:
            slugs = [_category_slug(cf.cleaned_data, n) for n, cf in enumerate(self.categories.forms, 1)]
            for cf, slug in zip(self.categories.forms, slugs, strict=True):
                if slugs.count(slug) > 1:
                    where = "slug" if cf.cleaned_data["slug"] else "name"
                    cf.add_error(where, f"Another category also has the slug '{slug}'.")
                    valid = False
        if len(self.categories.forms) < 2:
            self.categories._non_form_errors = self.categories.error_class(
                ["A taxonomy needs at least two categories."]
            )
            valid = False
        return bool(valid)

    def to_data(self, slug: str) -> TaxonomyData:
        forms_in_order = sorted(enumerate(self.categories.forms), key=lambda p: (p[1].cleaned_data["order"], p[0]))
        categories = []
        for n, (_, cf) in enumerate(forms_in_order, 1):
            c = cf.cleaned_data
            categories.append(CategoryData(_category_slug(c, n), _text(c["name"]), _text(c["definition"])))
        d = self.form.cleaned_data
        return TaxonomyData(slug, _text(d["name"]), _text(d["description"]), categories, Path(f"{slug}.toml"))

    def field_for_problem(self, problem: str):
        self.form.add_error(None, problem)

    def error_summary(self) -> list[tuple[str, str]]:
        out = _main_errors(self.form)
        out += [(str(e), "") for e in self.categories.non_form_errors()]
        for i, cf in enumerate(self.categories.forms):
            for name, errors in cf.errors.items():
                out += [(f"Category {i + 1}, {cf[name].label.lower()}: {e}", cf[name].id_for_label) for e in errors]
        return out


def taxonomy_tree(taxonomy: TaxonomyData) -> dict:
    return {
        "name": taxonomy.name,
        "description": taxonomy.description,
        "categories": [
            {"slug": c.slug, "name": c.name, "definition": c.definition, "order": n}
            for n, c in enumerate(taxonomy.categories, 1)
        ],
    }


def starter_text(kind: str, taxonomies: dict | None = None) -> str:
    """The short, valid text a new quiz, exercise or taxonomy starts from in the text editor.

    `taxonomies` is as for ExerciseEditor: slug → (name, [(category slug, name)]).
    """
    from lessons.course_source import exercise_to_toml, quiz_to_toml, taxonomy_to_toml

    path = Path("new.toml")
    if kind == "quiz":
        t = QUIZ_TEMPLATE
        questions = [
            QuestionData(
                q["kind"],
                q["prompt"],
                q["explanation"],
                [ChoiceData(c["text"], c["correct"], c["feedback"], c["key"]) for c in q["choices"]],
                q["section"],
                q["key"],
            )
            for q in t["questions"]
        ]
        return quiz_to_toml(QuizData("new", t["title"], t["pass_mark"], questions, path))
    if kind == "taxonomy":
        t = TAXONOMY_TEMPLATE
        categories = [CategoryData(c["slug"], c["name"], c["definition"]) for c in t["categories"]]
        return taxonomy_to_toml(TaxonomyData("new", t["name"], t["description"], categories, path))
    if kind == "exercise":
        first = next(iter(taxonomies or {}), "")
        categories = (taxonomies or {}).get(first, ("", []))[1]
        t = exercise_template(first, categories[0][0] if categories else "")
        cases = [
            CaseData(**{k: c[k] for k in CaseData.__dataclass_fields__})  # the tree uses the same names
            for c in t["cases"]
        ]
        data = ExerciseData("new", t["title"], first, t["instructions"], False, t["pass_mark"], cases, path)
        return exercise_to_toml(data)
    return ""


ACTION = re.compile(
    r"^(add_question|remove_question|move_up|move_down|add_choice|remove_choice|choice_up|choice_down"
    r"|add_case|remove_case|case_up|case_down|refresh|add_category|remove_category)((?:-\d+)*)$"
)


def structural_action(data) -> tuple[str, tuple[int, ...]] | None:
    """The add/remove/move button pressed, from its name (e.g. "move_up-2"), if any."""
    for name in data:
        match = ACTION.match(name)
        if match:
            return match.group(1), tuple(int(n) for n in match.group(2).split("-")[1:])
    return None

"""Reading the course's text format (fixtures/course/) into plain dataclasses.

Pure: no ORM, no rendering. `read_course(path)` parses and validates everything it can
check from the files alone and raises CourseSourceError listing every problem with the
file it is in. The format is documented in fixtures/course/README.md.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

FRONT_MATTER = "+++"
DIRECTIVE = re.compile(r"^\[(quiz|exercise|sandbox):\s*([a-z0-9][a-z0-9-]*)\s*\]\s*$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ORDERED_NAME = re.compile(r"^(\d+)-([a-z0-9][a-z0-9-]*)$")
QUESTION_KINDS = ("single", "multiple", "true_false")
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
# Part slugs become the first URL segment, so they must not shadow the site's own pages.
RESERVED_PART_SLUGS = {"about", "accounts", "admin", "go", "me", "reports", "static", "studio", "taxonomies"}
LESSON_STATUSES = ("published", "draft")
MAX_TERMS = 8
# Term ranges and defaults are bounded so that no weight can overflow a reward total.
MAX_WEIGHT = 1_000_000


class CourseSourceError(Exception):
    """The course files are invalid. `problems` holds one "file: message" per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class ChoiceData:
    text: str
    correct: bool
    feedback: str = ""
    # Stable identity inside its question: answers point at it whatever the order or wording.
    key: str = ""


@dataclass
class QuestionData:
    kind: str
    prompt: str
    explanation: str
    choices: list[ChoiceData]
    section: str = ""
    # Stable identity inside its quiz: never reused for a different question.
    key: str = ""


@dataclass
class QuizData:
    slug: str
    title: str
    pass_mark: int
    questions: list[QuestionData]
    path: Path


@dataclass
class CategoryData:
    slug: str
    name: str
    definition: str


@dataclass
class TaxonomyData:
    slug: str
    name: str
    description: str
    categories: list[CategoryData]
    path: Path


@dataclass
class CaseData:
    slug: str
    title: str
    scenario: str
    source_title: str
    source_url: str
    answers: list[str]
    also_accept: list[str]
    explanation: str
    why_not: dict[str, str] = field(default_factory=dict)


@dataclass
class ExerciseData:
    slug: str
    title: str
    taxonomy: str
    instructions: str
    multi_label: bool
    pass_mark: int
    cases: list[CaseData]
    path: Path


@dataclass
class TermData:
    key: str  # a feature the environment's kind measures (lessons.sandbox.KINDS)
    label: str
    min: float
    max: float
    step: float
    default: float  # the naive reward the challenge starts from
    help: str = ""


@dataclass
class SandboxData:
    slug: str
    title: str
    kind: str
    horizon: int
    objective: str
    objective_label: str
    goal: str
    instructions: str
    layout: list[str]
    terms: list[TermData]
    hints: list[str]
    loophole: str
    success: str
    path: Path


@dataclass
class LessonData:
    slug: str
    order: int
    title: str
    summary: str
    status: str
    source: str
    path: Path


@dataclass
class PartData:
    number: int
    slug: str
    title: str
    summary: str
    lessons: list[LessonData]
    path: Path


@dataclass
class CourseData:
    slug: str
    title: str
    tagline: str
    description: str
    parts: list[PartData]
    quizzes: list[QuizData]
    taxonomies: list[TaxonomyData]
    exercises: list[ExerciseData]
    sandboxes: list[SandboxData] = field(default_factory=list)


def split_blocks(source: str) -> list[tuple[str, str]]:
    """Split lesson Markdown at directive lines: [("markdown", text) | ("quiz"|"exercise"|"sandbox", slug)].

    Directive lines inside fenced code blocks are left alone, so a lesson can show the syntax.
    """
    blocks: list[tuple[str, str]] = []
    buffer: list[str] = []
    fence: str | None = None
    for line in source.splitlines(keepends=True):
        stripped = line.strip()
        if fence is None and (stripped.startswith("```") or stripped.startswith("~~~")):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        match = DIRECTIVE.match(stripped) if fence is None else None
        if match:
            if "".join(buffer).strip():
                blocks.append(("markdown", "".join(buffer)))
            buffer = []
            blocks.append((match.group(1), match.group(2)))
        else:
            buffer.append(line)
    if "".join(buffer).strip():
        blocks.append(("markdown", "".join(buffer)))
    return blocks


class UnsafeTOML(ValueError):
    """TOML that parses, or would, but that nothing after the parser can take."""


def _walk_strings(value):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def load_toml_text(text: str) -> dict:
    """tomllib.loads, refusing what tomllib accepts but the rest cannot: nesting deep enough
    to exhaust the stack, and NUL characters (PostgreSQL text cannot store them).

    Raises tomllib.TOMLDecodeError or UnsafeTOML (both ValueErrors) with a readable message.
    """
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise UnsafeTOML("invalid TOML: arrays or tables are nested too deeply") from None
    if any("\x00" in string for string in _walk_strings(data)):
        raise UnsafeTOML("a value contains a NUL character (\\u0000), which cannot be stored")
    return data


def parse_front_matter(text: str) -> tuple[dict, str]:
    """Split `+++`-delimited TOML front matter from a Markdown body."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT_MATTER:
        raise ValueError("must start with a '+++' line opening the TOML front matter")
    for index in range(1, len(lines)):
        if lines[index].strip() == FRONT_MATTER:
            meta = load_toml_text("".join(lines[1:index]))
            body = "".join(lines[index + 1 :]).lstrip("\n")
            if "\x00" in body:
                raise UnsafeTOML("the text contains a NUL character, which cannot be stored")
            return meta, body
    raise ValueError("front matter is not closed by a second '+++' line")


class _Reader:
    """Collects problems instead of stopping at the first, so authors see them all."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[str] = []

    def problem(self, path: Path, message: str) -> None:
        try:
            name = path.relative_to(self.root)
        except ValueError:
            name = path
        self.problems.append(f"{name}: {message}")

    def load_toml(self, path: Path) -> dict | None:
        try:
            return load_toml_text(path.read_text(encoding="utf-8"))
        except UnsafeTOML as exc:
            self.problem(path, str(exc))
        except tomllib.TOMLDecodeError as exc:
            self.problem(path, f"invalid TOML: {exc}")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(path, f"cannot be read: {exc}")
        return None

    def text(self, path: Path, data: dict, key: str, *, required: bool = True, where: str = "") -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            self.problem(path, f"{where}'{key}' must be text")
            return ""
        if required and not value.strip():
            self.problem(path, f"{where}'{key}' is missing")
        return value.strip()

    def integer(self, path: Path, data: dict, key: str, default: int, lo: int, hi: int) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.problem(path, f"'{key}' must be a whole number from {lo} to {hi}")
            return default
        return value

    def slug(self, path: Path, value: object, what: str) -> str:
        if not isinstance(value, str) or not SLUG.match(value):
            self.problem(path, f"{what} {value!r} is not a valid slug (lower-case letters, digits, hyphens)")
            return ""
        return value

    # -- course, parts, lessons -------------------------------------------------

    def course(self) -> CourseData:
        if not self.root.is_dir():
            raise CourseSourceError([f"{self.root}: no such folder"])
        meta = self.load_toml(self.root / "course.toml") if (self.root / "course.toml").exists() else None
        if meta is None and not (self.root / "course.toml").exists():
            self.problem(self.root / "course.toml", "missing")
        meta = meta or {}
        path = self.root / "course.toml"
        course = CourseData(
            slug=self.slug(path, meta.get("slug", "responsible-ai-engineering"), "course slug"),
            title=self.text(path, meta, "title"),
            tagline=self.text(path, meta, "tagline", required=False),
            description=self.text(path, meta, "description", required=False),
            parts=[],
            quizzes=[],
            taxonomies=[],
            exercises=[],
        )
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            if folder.name == "taxonomies":
                course.taxonomies = [self.taxonomy(f) for f in sorted(folder.glob("*.toml"))]
                continue
            if not (folder / "part.toml").exists():
                self.problem(folder, "a part folder needs a part.toml")
                continue
            course.parts.append(self.part(folder))
            course.quizzes += [self.quiz(f) for f in sorted((folder / "quizzes").glob("*.toml"))]
            course.exercises += [self.exercise(f) for f in sorted((folder / "exercises").glob("*.toml"))]
            course.sandboxes += [self.sandbox(f) for f in sorted((folder / "sandboxes").glob("*.toml"))]
        course.taxonomies = [t for t in course.taxonomies if t]
        course.quizzes = [q for q in course.quizzes if q]
        course.exercises = [e for e in course.exercises if e]
        course.sandboxes = [b for b in course.sandboxes if b]
        self.check_course(course)
        return course

    def part(self, folder: Path) -> PartData:
        path = folder / "part.toml"
        meta = self.load_toml(path) or {}
        if meta.get("slug") in RESERVED_PART_SLUGS:
            self.problem(path, f"part slug '{meta['slug']}' is reserved for the site's own pages")
        part = PartData(
            number=self.integer(path, meta, "number", 0, 1, 99),
            slug=self.slug(path, meta.get("slug"), "part slug"),
            title=self.text(path, meta, "title"),
            summary=self.text(path, meta, "summary", required=False),
            lessons=[],
            path=path,
        )
        for lesson_path in sorted(folder.glob("*.md")):
            lesson = self.lesson(lesson_path)
            if lesson:
                part.lessons.append(lesson)
        orders = [lesson.order for lesson in part.lessons]
        for order in sorted({o for o in orders if orders.count(o) > 1}):
            self.problem(folder, f"two lessons share the order prefix {order:02d}")
        return part

    def lesson(self, path: Path) -> LessonData | None:
        match = ORDERED_NAME.match(path.stem)
        if not match:
            self.problem(path, "lesson file names look like '01-lesson-slug.md'")
            return None
        try:
            meta, body = parse_front_matter(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            self.problem(path, f"invalid TOML front matter: {exc}")
            return None
        except (ValueError, OSError) as exc:
            self.problem(path, str(exc))
            return None
        status = meta.get("status", "published")
        if status not in LESSON_STATUSES:
            self.problem(path, f"status must be one of {', '.join(LESSON_STATUSES)}")
        if not body.strip():
            self.problem(path, "the lesson has no text")
        return LessonData(
            slug=self.slug(path, meta.get("slug", match.group(2)), "lesson slug"),
            order=int(match.group(1)),
            title=self.text(path, meta, "title"),
            summary=self.text(path, meta, "summary", required=False),
            status=status,
            source=body,
            path=path,
        )

    # -- quizzes ------------------------------------------------------------------

    def quiz(self, path: Path) -> QuizData | None:
        data = self.load_toml(path)
        if data is None:
            return None
        return self.quiz_from_data(path, data)

    def quiz_from_data(self, path: Path, data: dict) -> QuizData:
        questions = []
        raw_questions = data.get("questions", [])
        if not isinstance(raw_questions, list) or not raw_questions:
            self.problem(path, "a quiz needs at least one [[questions]] entry")
            raw_questions = []
        for number, raw in enumerate(raw_questions, 1):
            questions.append(self.question(path, number, raw))
        keys = [q.key for q in questions if q.key]
        for duplicate in sorted({k for k in keys if keys.count(k) > 1}):
            self.problem(path, f"two questions share the key '{duplicate}'")
        return QuizData(
            slug=self.slug(path, path.stem, "quiz file name"),
            title=self.text(path, data, "title"),
            pass_mark=self.integer(path, data, "pass_mark", 70, 1, 100),
            questions=questions,
            path=path,
        )

    def question(self, path: Path, number: int, raw: dict) -> QuestionData:
        where = f"question {number}: "
        kind = raw.get("kind", "single")
        if kind not in QUESTION_KINDS:
            self.problem(path, f"{where}kind must be one of {', '.join(QUESTION_KINDS)}")
        key = self.key(path, raw, where)
        choices = []
        for raw_choice in raw.get("choices", []):
            correct = raw_choice.get("correct", False)
            if not isinstance(correct, bool):
                self.problem(path, f"{where}'correct' must be true or false")
            choices.append(
                ChoiceData(
                    text=self.text(path, raw_choice, "text", where=where + "a choice's "),
                    correct=correct is True,
                    feedback=self.text(path, raw_choice, "feedback", required=False, where=where),
                    key=self.key(path, raw_choice, where + "a choice's "),
                )
            )
        seen = [c.key for c in choices if c.key]
        for duplicate in sorted({k for k in seen if seen.count(k) > 1}):
            self.problem(path, f"{where}two choices share the key '{duplicate}'")
        right = sum(c.correct for c in choices)
        if len(choices) < 2:
            self.problem(path, f"{where}needs at least two choices")
        if right == 0:
            self.problem(path, f"{where}has no correct choice")
        if kind in ("single", "true_false") and right > 1:
            self.problem(path, f"{where}a {kind} question has exactly one correct choice, not {right}")
        if kind == "true_false" and len(choices) != 2:
            self.problem(path, f"{where}a true_false question has exactly two choices")
        section = raw.get("section", "")
        if section and (not isinstance(section, str) or "#" not in section):
            self.problem(path, f"{where}section must look like 'lesson-slug#heading-id'")
            section = ""
        return QuestionData(
            kind=kind,
            prompt=self.text(path, raw, "prompt", where=where),
            explanation=self.text(path, raw, "explanation", where=where),
            choices=choices,
            section=section,
            key=key,
        )

    def key(self, path: Path, raw: dict, where: str) -> str:
        """A question's or choice's `key`: required, short, lower-case letters, digits and hyphens."""
        value = raw.get("key")
        if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
            self.problem(
                path, f"{where}'key' is required: 1-40 lower-case letters, digits or hyphens, e.g. key = \"q3\""
            )
            return ""
        return value

    # -- taxonomies and exercises ---------------------------------------------------

    def taxonomy(self, path: Path) -> TaxonomyData | None:
        data = self.load_toml(path)
        if data is None:
            return None
        return self.taxonomy_from_data(path, data)

    def taxonomy_from_data(self, path: Path, data: dict) -> TaxonomyData:
        categories = []
        for raw in data.get("categories", []):
            categories.append(
                CategoryData(
                    slug=self.slug(path, raw.get("slug"), "category slug"),
                    name=self.text(path, raw, "name"),
                    definition=self.text(path, raw, "definition"),
                )
            )
        if len(categories) < 2:
            self.problem(path, "a taxonomy needs at least two [[categories]]")
        slugs = [c.slug for c in categories]
        for slug in sorted({s for s in slugs if slugs.count(s) > 1}):
            self.problem(path, f"category slug '{slug}' is used twice")
        return TaxonomyData(
            slug=self.slug(path, path.stem, "taxonomy file name"),
            name=self.text(path, data, "name"),
            description=self.text(path, data, "description", required=False),
            categories=categories,
            path=path,
        )

    def exercise(self, path: Path) -> ExerciseData | None:
        data = self.load_toml(path)
        if data is None:
            return None
        return self.exercise_from_data(path, data)

    def exercise_from_data(self, path: Path, data: dict) -> ExerciseData:
        multi = data.get("multi_label", False)
        if not isinstance(multi, bool):
            self.problem(path, "multi_label must be true or false")
            multi = False
        cases = []
        for number, raw in enumerate(data.get("cases", []), 1):
            where = f"case {number}: "
            answers = raw.get("answers", [])
            also = raw.get("also_accept", [])
            why_not = raw.get("why_not", {})
            if not isinstance(answers, list) or not answers:
                self.problem(path, f"{where}'answers' must list at least one category")
                answers = []
            if not isinstance(also, list):
                self.problem(path, f"{where}'also_accept' must be a list")
                also = []
            if not multi and len(answers) > 1:
                self.problem(path, f"{where}a single-label exercise has one answer; put others in also_accept")
            if multi and also:
                self.problem(path, f"{where}also_accept is for single-label exercises only")
            if not isinstance(why_not, dict) or not all(isinstance(v, str) for v in why_not.values()):
                self.problem(path, f"{where}[cases.why_not] maps category slugs to text")
                why_not = {}
            source_url = self.text(path, raw, "source_url", where=where)
            if source_url and not source_url.startswith("https://"):
                self.problem(path, f"{where}source_url must be an https:// link")
            cases.append(
                CaseData(
                    slug=self.slug(path, raw.get("slug"), f"{where}slug"),
                    title=self.text(path, raw, "title", where=where),
                    scenario=self.text(path, raw, "scenario", where=where),
                    source_title=self.text(path, raw, "source_title", where=where),
                    source_url=source_url,
                    answers=[str(a) for a in answers],
                    also_accept=[str(a) for a in also],
                    explanation=self.text(path, raw, "explanation", where=where),
                    why_not={str(k): v.strip() for k, v in why_not.items()},
                )
            )
        if not cases:
            self.problem(path, "an exercise needs at least one [[cases]] entry")
        return ExerciseData(
            slug=self.slug(path, path.stem, "exercise file name"),
            title=self.text(path, data, "title"),
            taxonomy=self.slug(path, data.get("taxonomy"), "taxonomy"),
            instructions=self.text(path, data, "instructions", required=False),
            multi_label=multi,
            pass_mark=self.integer(path, data, "pass_mark", 70, 1, 100),
            cases=cases,
            path=path,
        )

    # -- reward-design sandboxes ------------------------------------------------------

    def sandbox(self, path: Path) -> SandboxData | None:
        data = self.load_toml(path)
        if data is None:
            return None
        return self.sandbox_from_data(path, data)

    def number(self, path: Path, data: dict, key: str, where: str, default: float = 0.0) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.problem(path, f"{where}'{key}' must be a number")
            return default
        if not -MAX_WEIGHT <= value <= MAX_WEIGHT:
            self.problem(path, f"{where}'{key}' must be between -{MAX_WEIGHT:g} and {MAX_WEIGHT:g}")
            return default
        return value

    def sandbox_from_data(self, path: Path, data: dict) -> SandboxData:
        from lessons import sandbox

        kind = data.get("kind", "")
        layout = data.get("layout", [])
        horizon = data.get("horizon", 0)
        objective = data.get("objective", "")
        env_problems = sandbox.check_environment(kind, layout, horizon, objective)
        for problem in env_problems:
            self.problem(path, problem)
        features = sandbox.KINDS[kind].features if isinstance(kind, str) and kind in sandbox.KINDS else ()
        terms = []
        raw_terms = data.get("terms", [])
        if not isinstance(raw_terms, list) or not 1 <= len(raw_terms) <= MAX_TERMS:
            self.problem(path, f"a sandbox needs 1 to {MAX_TERMS} [[terms]] entries")
            raw_terms = []
        for number, raw in enumerate(raw_terms, 1):
            where = f"term {number}: "
            if not isinstance(raw, dict):
                self.problem(path, f"{where}must be a table")
                continue
            key = raw.get("key", "")
            if key not in features:
                self.problem(path, f"{where}key must be one of: {', '.join(features) or 'a known kind first'}")
            term = TermData(
                key=key if isinstance(key, str) else "",
                label=self.text(path, raw, "label", where=where),
                min=self.number(path, raw, "min", where),
                max=self.number(path, raw, "max", where),
                step=self.number(path, raw, "step", where, 1),
                default=self.number(path, raw, "default", where),
                help=self.text(path, raw, "help", required=False, where=where),
            )
            if term.min >= term.max:
                self.problem(path, f"{where}min must be below max")
            elif not term.min <= term.default <= term.max:
                self.problem(path, f"{where}default must lie between min and max")
            if term.step <= 0:
                self.problem(path, f"{where}step must be above 0")
            terms.append(term)
        keys = [t.key for t in terms if t.key]
        for duplicate in sorted({k for k in keys if keys.count(k) > 1}):
            self.problem(path, f"two terms share the key '{duplicate}'")
        hints = data.get("hints", [])
        if not isinstance(hints, list) or not all(isinstance(h, str) and h.strip() for h in hints):
            self.problem(path, "'hints' must be a list of texts")
            hints = []
        result = SandboxData(
            slug=self.slug(path, path.stem, "sandbox file name"),
            title=self.text(path, data, "title"),
            kind=kind if isinstance(kind, str) else "",
            horizon=horizon if isinstance(horizon, int) else 0,
            objective=objective if isinstance(objective, str) else "",
            objective_label=self.text(path, data, "objective_label"),
            goal=self.text(path, data, "goal"),
            instructions=self.text(path, data, "instructions", required=False),
            layout=list(layout) if isinstance(layout, list) else [],
            terms=terms,
            hints=[h.strip() for h in hints],
            loophole=self.text(path, data, "loophole"),
            success=self.text(path, data, "success", required=False),
            path=path,
        )
        if not env_problems and terms and len(keys) == len(set(keys)) == len(terms):
            # The challenge: the naive reward (every default) must miss the true objective.
            env = sandbox.Environment(kind, tuple(layout), horizon, objective)
            if sandbox.solve(env, {t.key: float(t.default) for t in terms}).objective_met:
                self.problem(path, "the default (naive) reward already meets the objective: there is no challenge")
        return result

    # -- cross-file checks ----------------------------------------------------------

    def check_course(self, course: CourseData) -> None:
        def duplicates(items, key):
            seen: dict = {}
            for item in items:
                value = key(item)
                if value in seen:
                    yield item, value
                seen.setdefault(value, item)

        for part, number in duplicates(course.parts, lambda p: p.number):
            self.problem(part.path, f"part number {number} is used by another part")
        for part, slug in duplicates(course.parts, lambda p: p.slug):
            self.problem(part.path, f"part slug '{slug}' is used by another part")
        lessons = [lesson for part in course.parts for lesson in part.lessons]
        for lesson, slug in duplicates(lessons, lambda lesson: lesson.slug):
            self.problem(lesson.path, f"duplicate lesson slug '{slug}'")
        for quiz, slug in duplicates(course.quizzes, lambda q: q.slug):
            self.problem(quiz.path, f"duplicate quiz slug '{slug}'")
        for exercise, slug in duplicates(course.exercises, lambda e: e.slug):
            self.problem(exercise.path, f"duplicate exercise slug '{slug}'")
        for box, slug in duplicates(course.sandboxes, lambda b: b.slug):
            self.problem(box.path, f"duplicate sandbox slug '{slug}'")

        quizzes = {q.slug for q in course.quizzes}
        exercises = {e.slug for e in course.exercises}
        sandboxes = {b.slug for b in course.sandboxes}
        for lesson in lessons:
            for kind, slug in unknown_embeds(lesson.source, quizzes=quizzes, exercises=exercises, sandboxes=sandboxes):
                self.problem(lesson.path, f"embeds unknown {kind} '{slug}'")

        lesson_slugs = {lesson.slug for lesson in lessons}
        for quiz in course.quizzes:
            for number, question in enumerate(quiz.questions, 1):
                if question.section and question.section.split("#", 1)[0] not in lesson_slugs:
                    self.problem(quiz.path, f"question {number}: section names unknown lesson '{question.section}'")

        taxonomies = {t.slug: t for t in course.taxonomies}
        for exercise in course.exercises:
            taxonomy = taxonomies.get(exercise.taxonomy)
            if taxonomy is None:
                if exercise.taxonomy:
                    self.problem(exercise.path, f"unknown taxonomy '{exercise.taxonomy}'")
                continue
            known = {c.slug for c in taxonomy.categories}
            for number, case in enumerate(exercise.cases, 1):
                for slug in case.answers + case.also_accept + list(case.why_not):
                    if slug not in known:
                        self.problem(exercise.path, f"case {number}: unknown category '{slug}' in {taxonomy.slug}")
            for _case, slug in duplicates(exercise.cases, lambda c: c.slug):
                self.problem(exercise.path, f"case slug '{slug}' is used twice")


def read_course(path: str | Path) -> CourseData:
    """Read and validate the course folder at `path`; raise CourseSourceError if invalid."""
    reader = _Reader(Path(path))
    course = reader.course()
    if reader.problems:
        raise CourseSourceError(reader.problems)
    return course


def parse_single(kind: str, slug: str, text: str) -> tuple[object | None, list[str]]:
    """Parse one quiz, exercise or taxonomy from TOML text (the studio's editors).

    Returns (data, problems); data is None when the TOML itself does not parse. Checks that
    need the rest of the course (taxonomy exists, section links) are the caller's.
    """
    reader = _Reader(Path("."))
    path = Path(f"{slug}.toml")
    try:
        data = load_toml_text(text)
    except UnsafeTOML as exc:
        return None, [str(exc)]
    except tomllib.TOMLDecodeError as exc:
        return None, [f"invalid TOML: {exc}"]
    parsed = getattr(reader, f"{kind}_from_data")(path, data)
    return parsed, [p.split(": ", 1)[1] if ": " in p else p for p in reader.problems]


# A Markdown image or an <img> whose URL names another host (with or without a scheme).
_EXTERNAL_IMAGE = re.compile(
    r"""(?:!\[[^\]]*\]\(\s*<?|<img\b[^>]*\bsrc\s*=\s*["']?)((?:[a-z][a-z0-9+.-]*:)?//[^)\s"'>]*)""", re.I
)


def unknown_embeds(
    source: str, *, quizzes: set[str], exercises: set[str], sandboxes: set[str] | None = None
) -> list[tuple[str, str]]:
    """The (kind, slug) of every [quiz: …] or [exercise: …] line in `source` that names
    nothing in `quizzes` or `exercises`: the one check behind the import, the editor's
    problem list and the studio's save."""
    known = {"quiz": quizzes, "exercise": exercises, "sandbox": sandboxes or set()}
    return [(kind, slug) for kind, slug in split_blocks(source) if kind in known and slug not in known[kind]]


def offending_lines(problems: list[str], text: str) -> list[tuple[int, str]]:
    """(line number, line) for each problem that names a line ("... at line 3 ..."), so the
    editor can quote it: a textarea has no line numbers. Pure."""
    lines = text.replace("\r\n", "\n").split("\n")
    found = []
    for problem in problems:
        match = re.search(r"\bat line (\d+)", problem)
        if match and 1 <= int(match.group(1)) <= len(lines):
            number = int(match.group(1))
            if (number, lines[number - 1]) not in found:
                found.append((number, lines[number - 1]))
    return found


def lesson_problems(
    source: str,
    headings: list[dict],
    *,
    quizzes: set[str],
    exercises: set[str],
    paths: set[str],
    sandboxes: set[str] | None = None,
) -> list[str]:
    """Problems an author should see in the editor: unknown embeds, broken internal links,
    skipped heading levels, images from other sites. Pure: the caller passes what exists in the course."""
    problems = [
        f"Unknown {kind} '{slug}': create it first or fix the slug."
        for kind, slug in unknown_embeds(source, quizzes=quizzes, exercises=exercises, sandboxes=sandboxes or set())
    ]
    fence = None
    previous = 1
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fence = None if fence else stripped[:3]
            continue
        if fence:
            continue
        match = re.match(r"^(#{1,6})\s+(.*)", stripped)
        if match:
            level = len(match.group(1))
            if level == 1:
                problems.append(f"'{match.group(2)}' is a level-1 heading: the page supplies the title, start at ##.")
            elif level > previous + 1:
                problems.append(f"Heading '{match.group(2)}' skips from level {previous} to level {level}.")
            previous = level
    for url in _EXTERNAL_IMAGE.findall(source):
        problems.append(
            f"The image {url} is on another site: the page may only load images from this site, "
            "so it is left out. Put the file under static/ and link it as /static/…."
        )
    for target in re.findall(r"\]\((/[^)\s#]*)", source):
        if target.startswith("/static/"):
            continue  # files, not pages
        path = target if target.endswith("/") else target + "/"
        if path not in paths:
            problems.append(f"Broken internal link: {target} is not a page of this course.")
    return problems


# -- writing: the inverse of read_course ------------------------------------------------
# The writer emits the same format the reader reads, so that import -> export -> import ->
# export gives identical files. Keys that hold their default value are left out.


def _toml(values: dict) -> str:
    return tomli_w.dumps({k: v for k, v in values.items() if v not in ("", [], {}, None)}, multiline_strings=True)


def quiz_to_toml(quiz: QuizData) -> str:
    out = [_toml({"title": quiz.title, "pass_mark": quiz.pass_mark})]
    for question in quiz.questions:
        out.append("\n[[questions]]\n")
        out.append(
            _toml(
                {
                    "key": question.key,
                    "kind": question.kind,
                    "prompt": question.prompt,
                    "explanation": question.explanation,
                    "section": question.section,
                }
            )
        )
        for choice in question.choices:
            out.append("\n[[questions.choices]]\n")
            out.append(_toml({"key": choice.key, "text": choice.text, "feedback": choice.feedback}))
            out.append(f"correct = {'true' if choice.correct else 'false'}\n")
    return "".join(out)


def taxonomy_to_toml(taxonomy: TaxonomyData) -> str:
    out = [_toml({"name": taxonomy.name, "description": taxonomy.description})]
    for category in taxonomy.categories:
        out.append("\n[[categories]]\n")
        out.append(_toml({"slug": category.slug, "name": category.name, "definition": category.definition}))
    return "".join(out)


def exercise_to_toml(exercise: ExerciseData) -> str:
    out = [
        _toml(
            {
                "title": exercise.title,
                "taxonomy": exercise.taxonomy,
                "instructions": exercise.instructions,
                "pass_mark": exercise.pass_mark,
            }
        ),
        f"multi_label = {'true' if exercise.multi_label else 'false'}\n",
    ]
    for case in exercise.cases:
        out.append("\n[[cases]]\n")
        out.append(
            _toml(
                {
                    "slug": case.slug,
                    "title": case.title,
                    "scenario": case.scenario,
                    "source_title": case.source_title,
                    "source_url": case.source_url,
                    "answers": case.answers,
                    "also_accept": case.also_accept,
                    "explanation": case.explanation,
                }
            )
        )
        if case.why_not:
            out.append("\n[cases.why_not]\n")
            out.append(_toml(case.why_not))
    return "".join(out)


def sandbox_to_toml(box: SandboxData) -> str:
    out = [
        _toml(
            {
                "title": box.title,
                "kind": box.kind,
                "horizon": box.horizon,
                "objective": box.objective,
                "objective_label": box.objective_label,
                "goal": box.goal,
                "instructions": box.instructions,
                "layout": box.layout,
                "hints": box.hints,
                "loophole": box.loophole,
                "success": box.success,
            }
        )
    ]
    for term in box.terms:
        out.append("\n[[terms]]\n")
        values = {"key": term.key, "label": term.label, "help": term.help}
        out.append(_toml(values))
        out.append(tomli_w.dumps({"min": term.min, "max": term.max, "step": term.step, "default": term.default}))
    return "".join(out)


def lesson_to_text(lesson: LessonData) -> str:
    front = _toml({"title": lesson.title, "slug": lesson.slug, "summary": lesson.summary, "status": lesson.status})
    return f"{FRONT_MATTER}\n{front}{FRONT_MATTER}\n\n{lesson.source.strip()}\n"


def write_course(course: CourseData, root: str | Path) -> list[Path]:
    """Write `course` under `root` in the fixtures/course format; returns the files written."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    written = []

    def put(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    put(
        root / "course.toml",
        _toml(
            {"slug": course.slug, "title": course.title, "tagline": course.tagline, "description": course.description}
        ),
    )
    folders = {}
    for part in course.parts:
        folder = root / f"{part.number:02d}-{part.slug}"
        folders[part.slug] = folder
        put(
            folder / "part.toml",
            f"number = {part.number}\n" + _toml({"slug": part.slug, "title": part.title, "summary": part.summary}),
        )
        for lesson in part.lessons:
            put(folder / f"{lesson.order:02d}-{lesson.slug}.md", lesson_to_text(lesson))

    def home(kind: str, slug: str) -> Path:
        for part in course.parts:
            for lesson in part.lessons:
                if (kind, slug) in split_blocks(lesson.source):
                    return folders[part.slug]
        return folders[course.parts[0].slug] if course.parts else root

    for quiz in course.quizzes:
        put(home("quiz", quiz.slug) / "quizzes" / f"{quiz.slug}.toml", quiz_to_toml(quiz))
    for exercise in course.exercises:
        put(home("exercise", exercise.slug) / "exercises" / f"{exercise.slug}.toml", exercise_to_toml(exercise))
    for box in course.sandboxes:
        put(home("sandbox", box.slug) / "sandboxes" / f"{box.slug}.toml", sandbox_to_toml(box))
    for taxonomy in course.taxonomies:
        put(root / "taxonomies" / f"{taxonomy.slug}.toml", taxonomy_to_toml(taxonomy))
    return written

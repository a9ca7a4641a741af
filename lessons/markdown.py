"""Markdown to safe HTML: the one way authored text becomes HTML.

`render_markdown(source)` converts Python-Markdown to HTML and sanitises the result with
nh3 (the maintained binding to the Rust ammonia sanitiser; bleach, which the design first
named, was archived in 2026). This module is the only importer of `markdown` and `nh3`.

It is called when content is saved or imported, never per request. It must not touch the
database: callers store what it returns.

Python-Markdown is super-linear on some inputs (4 KB of ``[`` takes seconds), so sources are
capped in size and rendering has a time budget: one per request or import, shared by every
text rendered in it (render_budget), with longer texts rendered in a forked child that is
stopped when the budget runs out.
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import itertools
import multiprocessing
import os
import re
import time
import unicodedata
from dataclasses import dataclass

import markdown
import nh3
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension

MAX_SOURCE_BYTES = 200_000
RENDER_TIMEOUT_SECONDS = 5.0
# Python-Markdown's worst inputs grow with the cube of their length: 1,000 characters of
# '[' take about 0.3 s, 4,000 take 7 s. Texts up to this size render in-process (so a budget
# is overrun by at most that much); longer ones in a child process that can be stopped.
_INLINE_LIMIT_CHARS = 1_000


class MarkdownError(ValueError):
    """The source cannot be rendered: too large, or too slow to render."""


ALLOWED_TAGS = {
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "del",
    "s",
    "sub",
    "sup",
    "mark",
    "abbr",
    "kbd",
    "q",
    "small",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "code",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "a",
    "img",
    "figure",
    "figcaption",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "abbr": {"title"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_SAFE_ID = re.compile(r"^[a-z][a-z0-9_-]{0,80}$")
_SAFE_CODE_CLASS = re.compile(r"^language-[A-Za-z0-9_+-]{1,30}$")
_ALIGN = {"left", "right", "center"}


# Characters that render as nothing but are not Unicode format characters.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def has_hidden_characters(url: str) -> bool:
    """Whether `url` holds a control, format (zero-width, soft hyphen, bidi), separator or
    blank character: such a URL hides what it is (``java\u200bscript:``), so it is refused."""
    return any(unicodedata.category(ch)[0] in "CZ" or ch in _BLANK_LETTERS for ch in url)


# The lesson page's own element ids (base.html, lesson_detail.html, lesson_page.*.dom_id).
PAGE_IDS = {"main", "lesson-title", "lesson-progress", "lesson-progress-title", "toc-title"}
PAGE_ID_PREFIXES = ("quiz-", "question-", "exercise-")
AUTHORED_ID_PREFIX = "section-"


def authored_id(anchor: str) -> str:
    """Keep an authored heading id out of the page's own ids: one that could be the page's
    (``lesson-progress``, ``main``, ``quiz-…``, ``question-…``) gets the ``section-`` prefix.
    Links such as ``[try it](#quiz-slug)`` still reach the page's own elements."""
    if anchor in PAGE_IDS or anchor.startswith(PAGE_ID_PREFIXES):
        return AUTHORED_ID_PREFIX + anchor
    return anchor


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Second pass after nh3's allowlist: values that are allowed but must be well-formed."""
    if attribute in {"href", "src"} and has_hidden_characters(value):
        return None
    if attribute == "id":
        return authored_id(value) if _SAFE_ID.match(value) else None
    if tag == "code" and attribute == "class":
        return value if _SAFE_CODE_CLASS.match(value) else None
    if attribute == "align":
        return value if value in _ALIGN else None
    if tag == "img" and attribute == "src":
        # Images only from this site: the Content-Security-Policy blocks every other origin,
        # so another site's image would only show as broken (the studio warns about them).
        lowered = value.strip().lower()
        return value if lowered.startswith("/") and not lowered.startswith("//") else None
    if tag == "img" and attribute in {"width", "height"}:
        return value if value.isdigit() and len(value) <= 4 else None
    if tag == "ol" and attribute == "start":
        return value if value.isdigit() and len(value) <= 6 else None
    return value


def _convert(source: str) -> str:
    md = markdown.Markdown(
        extensions=[
            TableExtension(use_align_attribute=True),
            "fenced_code",
            "sane_lists",
            "attr_list",
            "abbr",
            TocExtension(permalink=False, toc_depth="2-3"),
        ],
        output_format="html",
    )
    return md.convert(source)


def _sanitise(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_filter_attribute,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _wrap_tables(safe_html: str) -> str:
    """Wide tables and code blocks scroll, and are focusable so keyboard users can scroll them too.

    Runs after sanitising: the wrapper is our markup, not the author's.
    """
    numbers = itertools.count(1)
    # Each region gets its own name ("Table 2"), so a screen reader's list of
    # regions tells them apart.
    wrapped = re.sub(
        "<table>",
        lambda _: f'<div class="table-scroll" tabindex="0" role="region" aria-label="Table {next(numbers)}"><table>',
        safe_html.replace("<pre>", '<pre tabindex="0">'),
    )
    return wrapped.replace("</table>", "</table></div>")


def _render_now(source: str) -> str:
    return _wrap_tables(_sanitise(_convert(source)))


def _child(sources: list[str], conn) -> None:  # pragma: no cover - runs in the forked child
    try:
        conn.send(("ok", [_render_now(source) for source in sources]))
    except Exception as exc:  # report, never raise across the fork
        conn.send(("error", str(exc)))
    finally:
        conn.close()
        os._exit(0)


@dataclass(frozen=True)
class _Budget:
    seconds: float
    deadline: float

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def exceeded(self) -> MarkdownError:
        return MarkdownError(
            f"Rendering took longer than {self.seconds:g} seconds and was stopped. "
            "Look for unusual constructs such as many unclosed '[' or '<![', or deeply nested lists."
        )


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("markdown_render_budget", default=None)


@contextlib.contextmanager
def render_budget(seconds: float):
    """One time budget shared by every render inside the block (a request, an import).

    A budget opened inside another never extends it: the earlier deadline holds.
    """
    outer = _budget.get()
    budget = _Budget(seconds, time.monotonic() + seconds)
    if outer is not None and outer.deadline <= budget.deadline:
        budget = outer
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def _render_with_time_limit(sources: list[str], budget: _Budget) -> list[str]:
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sources, child), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(max(budget.remaining(), 0)):
            raise budget.exceeded()
        status, payload = parent.recv()
    finally:
        if process.is_alive():
            process.kill()
        process.join(1)
        parent.close()
    if status != "ok":
        raise MarkdownError(f"Rendering failed: {payload}")
    return payload


def render_markdown_many(sources: list[str], *, timeout: float = RENDER_TIMEOUT_SECONDS) -> list[str]:
    """Sanitised HTML for each Markdown source, rendered together (one child process at most).

    Inside render_budget() the budget's deadline applies; outside, `timeout` seconds for
    this call. Raises MarkdownError when a source is over MAX_SOURCE_BYTES or the time runs
    out; short texts render in-process, and only while time is left.
    """
    for source in sources:
        size = len(source.encode("utf-8"))
        if size > MAX_SOURCE_BYTES:
            raise MarkdownError(
                f"The text is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,} bytes. Split it into several lessons."
            )
    budget = _budget.get() or _Budget(timeout, time.monotonic() + timeout)
    if budget.remaining() <= 0:
        raise budget.exceeded()
    if sum(len(source) for source in sources) <= _INLINE_LIMIT_CHARS:
        return [_render_now(source) for source in sources]
    return _render_with_time_limit(sources, budget)


def render_markdown(source: str, *, timeout: float = RENDER_TIMEOUT_SECONDS) -> str:
    """Return sanitised HTML for Markdown `source` (see render_markdown_many)."""
    return render_markdown_many([source], timeout=timeout)[0]


def render_inline_markdown(source: str) -> str:
    """Render a short text (a choice, a title) without the wrapping paragraph."""
    rendered = render_markdown(source).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        return rendered[3:-4]
    return rendered


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)</h\1>', re.S)
_TAG = re.compile(r"<[^>]+>")


def extract_headings(safe_html: str) -> list[Heading]:
    """The h2/h3 headings of already-sanitised HTML, for a table of contents."""
    return [
        Heading(int(level), anchor, html.unescape(_TAG.sub("", inner)).strip())
        for level, anchor, inner in _HEADING.findall(safe_html)
    ]


def word_count(source: str) -> int:
    return len(re.findall(r"\w+", source))

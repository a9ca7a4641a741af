"""Run the code that lessons present as runnable, and check the output they show.

A lesson marks a code block as runnable with the fenced-code attribute form (documented in
fixtures/course/README.md):

    ```{.python .run}                     executed, in order, in one namespace per lesson
    ```{.python .run file="breaker.py"}   written to breaker.py in the lesson's working folder
                                          (for later blocks to import), not executed itself
    ```{.text .output}                    right after a .run block: what that block must print

Plain ```python blocks are illustrations and are never run. This module has no Django or
project imports, so the separate labs venv (.venv-labs, see requirements-labs.txt) can run it:

    .venv-labs/bin/python -m lessons.labs fixtures/course

Each lesson runs in a fresh subprocess with its own temporary working folder and no network
configuration; a lesson that raises, times out or prints something other than the output it
shows fails the check.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

FENCE_OPEN = re.compile(r"^(```+|~~~+)\s*(\{[^}]*\}|[\w+-]*)\s*$")
CLASS = re.compile(r"\.([\w-]+)")
FILE_ATTRIBUTE = re.compile(r'\bfile\s*=\s*"([^"]+)"')
LESSON_TIMEOUT_SECONDS = 600


@dataclass
class LabBlock:
    line: int  # 1-based line of the opening fence in the lesson file
    code: str
    file: str = ""  # set for blocks that are written to a module instead of executed
    expected: str | None = None  # the output block that follows, if any


def _fenced_blocks(source: str) -> list[tuple[int, set[str], str, str]]:
    """(line, classes, attributes text, body) for every fenced block, in order."""
    blocks = []
    lines = source.splitlines()
    index = 0
    while index < len(lines):
        match = FENCE_OPEN.match(lines[index].strip())
        if not match:
            index += 1
            continue
        fence, info = match.group(1), match.group(2)
        classes = set(CLASS.findall(info)) if info.startswith("{") else ({info} if info else set())
        start = index
        body = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(lines[index])
            index += 1
        blocks.append((start + 1, classes, info, "\n".join(body) + "\n"))
        index += 1
    return blocks


def extract_lab_blocks(source: str) -> list[LabBlock]:
    """The runnable blocks of one lesson's Markdown, each with the output block that follows it."""
    labs: list[LabBlock] = []
    previous_was_run = False
    for line, classes, info, body in _fenced_blocks(source):
        if "run" in classes:
            file_match = FILE_ATTRIBUTE.search(info)
            labs.append(LabBlock(line=line, code=body, file=file_match.group(1) if file_match else ""))
            previous_was_run = True
        elif "output" in classes and previous_was_run and labs[-1].expected is None:
            labs[-1].expected = body
            previous_was_run = False
        else:
            previous_was_run = False
    return labs


def normalise_output(text: str) -> str:
    """Trailing spaces and trailing blank lines do not count."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def run_blocks(blocks: list[LabBlock], workdir: Path) -> list[dict]:
    """Run one lesson's blocks in order, in one namespace, inside `workdir`. Returns one result per
    block: {"line", "ok", "message"}. Stops at the first failure, since later blocks depend on it."""
    for block in blocks:
        if block.file:
            (workdir / block.file).write_text(block.code, encoding="utf-8")
    sys.path.insert(0, str(workdir))
    previous_cwd = os.getcwd()
    os.chdir(workdir)
    namespace: dict = {"__name__": "__main__"}
    results = []
    try:
        for block in blocks:
            if block.file:
                results.append({"line": block.line, "ok": True, "message": f"wrote {block.file}"})
                continue
            captured = io.StringIO()
            try:
                with contextlib.redirect_stdout(captured):
                    exec(compile(block.code, f"<lesson line {block.line}>", "exec"), namespace)
            except BaseException:  # noqa: BLE001 - any failure of lesson code is reported, not raised
                results.append({"line": block.line, "ok": False, "message": traceback.format_exc(limit=5)})
                break
            printed = captured.getvalue()
            if block.expected is not None and normalise_output(printed) != normalise_output(block.expected):
                message = f"printed:\n{printed}\nbut the lesson shows:\n{block.expected}"
                results.append({"line": block.line, "ok": False, "message": message})
                break
            results.append({"line": block.line, "ok": True, "message": ""})
    finally:
        os.chdir(previous_cwd)
        sys.path.remove(str(workdir))
    return results


def lesson_files(course_dir: Path) -> list[Path]:
    return sorted(path for path in course_dir.glob("*/*.md") if path.name[:2].isdigit())


def _run_one(path: Path) -> int:
    """Child process: run one lesson and print its results as JSON."""
    blocks = extract_lab_blocks(path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="lab-") as workdir:
        results = run_blocks(blocks, Path(workdir))
    sys.__stdout__.write(json.dumps(results) + "\n")
    return 0


def check_course(course_dir: Path) -> int:
    """Parent process: run every lesson that has runnable blocks; print a report; 0 if all pass."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "TQDM_DISABLE": "1"}
    for variable in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(variable, None)
    failures = 0  # blocks that failed or never ran because an earlier block failed
    ran = 0
    for path in lesson_files(course_dir):
        blocks = extract_lab_blocks(path.read_text(encoding="utf-8"))
        if not blocks:
            continue
        name = f"{path.parent.name}/{path.name}"
        try:
            child = subprocess.run(
                [sys.executable, "-m", "lessons.labs", "--one", str(path)],
                capture_output=True,
                text=True,
                timeout=LESSON_TIMEOUT_SECONDS,
                env=env,
                cwd=Path(__file__).resolve().parent.parent,
            )
        except subprocess.TimeoutExpired:
            print(f"FAIL {name}: timed out after {LESSON_TIMEOUT_SECONDS} s")
            failures += len(blocks)
            continue
        try:
            results = json.loads(child.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            print(f"FAIL {name}: the runner crashed\n{child.stderr[-3000:]}")
            failures += len(blocks)
            continue
        executed = [result for result in results if result["ok"]]
        ran += len(executed)
        bad = [result for result in results if not result["ok"]]
        if bad or len(results) < len(blocks):
            failures += len(blocks) - len(executed)
            for result in bad:
                print(f"FAIL {name}, block at line {result['line']}:\n{result['message']}")
        else:
            print(f"ok   {name}: {len(blocks)} block(s)")
    print(f"{ran} passed, {failures} failed")
    return 1 if failures or not ran else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--one":
        return _run_one(Path(argv[1]))
    course_dir = Path(argv[0]) if argv else Path("fixtures/course")
    return check_course(course_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The runnable-code convention: which blocks `make check-labs` runs and how it judges them.

Pure: the extractor and the in-process runner need no database and no lab packages (the lab
code itself runs in .venv-labs through `make check-labs`).
"""

from pathlib import Path

from lessons.labs import _fenced_blocks, extract_lab_blocks, lesson_files, normalise_output, run_blocks

COURSE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "course"

LESSON = """Intro.

```python
print("an illustration, never run")
```

```{.python .run file="helper.py"}
def double(x):
    return 2 * x
```

```{.python .run}
from helper import double
value = double(21)
print(value)
```

```{.text .output}
42
```

```{.text .output}
an output block that follows no runnable block
```

```{.python .run}
print(value + 1)
```
"""


def test_extract_finds_runnable_blocks_their_files_and_outputs():
    blocks = extract_lab_blocks(LESSON)
    assert [block.file for block in blocks] == ["helper.py", "", ""]
    assert "def double" in blocks[0].code and blocks[0].expected is None
    assert blocks[1].expected == "42\n"
    assert blocks[2].expected is None  # the orphan output block is not attached to a later block
    assert blocks[1].line == 12


def test_runner_passes_matching_output_and_shares_one_namespace(tmp_path):
    results = run_blocks(extract_lab_blocks(LESSON), tmp_path)
    assert [result["ok"] for result in results] == [True, True, True]
    assert (tmp_path / "helper.py").exists()


def test_runner_fails_on_different_output_and_stops(tmp_path):
    source = "```{.python .run}\nprint(1)\n```\n\n```{.text .output}\n2\n```\n\n```{.python .run}\nprint(3)\n```\n"
    results = run_blocks(extract_lab_blocks(source), tmp_path)
    assert len(results) == 1 and not results[0]["ok"]
    assert "printed:\n1" in results[0]["message"] and "shows:\n2" in results[0]["message"]


def test_runner_reports_an_exception_with_its_traceback(tmp_path):
    results = run_blocks(extract_lab_blocks("```{.python .run}\n1 / 0\n```\n"), tmp_path)
    assert not results[0]["ok"] and "ZeroDivisionError" in results[0]["message"]


def test_trailing_whitespace_does_not_count():
    assert normalise_output("a  \nb\n\n\n") == normalise_output("a\nb")
    assert normalise_output("a\nb") != normalise_output("a\n b")


def test_the_course_marks_its_labs_and_shows_no_orphan_output():
    runnable = {}
    for path in lesson_files(COURSE_DIR):
        source = path.read_text(encoding="utf-8")
        blocks = extract_lab_blocks(source)
        runnable[path.name] = blocks
        outputs = sum("output" in classes for _, classes, _, _ in _fenced_blocks(source))
        attached = sum(block.expected is not None for block in blocks)
        assert outputs == attached, f"{path.name}: an output block does not follow a runnable block"
    for lesson in (
        "03-lime-and-shap-in-code.md",
        "04-pyrit-building-blocks.md",
        "04-direct-preference-optimization.md",
        "03-software-circuit-breakers.md",
    ):
        assert runnable[lesson], f"{lesson} has no runnable block"
        assert any(block.expected for block in runnable[lesson]), f"{lesson} shows no checked output"

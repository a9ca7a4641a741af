"""The reward-design sandbox: small grid worlds solved exactly for a learner's reward.

Pure: no Django, no I/O, no randomness. An environment is data (a kind, a grid, the
terms a reward may weigh, a horizon); `solve(env, weights)` runs finite-horizon value
iteration over every reachable state and returns the optimal trajectory with the proxy
reward it earns and whether the true objective was met. Nothing a learner submits is ever
executed: a reward is a weight per term, and the terms are features this module measures.

Bounded by construction: `check_environment` refuses grids, horizons or state spaces above
the limits below, and the import calls it, so no stored environment can make a worker spin.

Kinds, and what each measures per step (the features a term may name):
- race: a boat on water (`.`), rocks (`#`), start `S`, finish line `F` (ends the episode),
  targets `T` that score when hit and reappear once the boat has hit a different target.
  Features: target (a target hit), finish (crossed the line), step (every time step).
  Objective "finished": the boat crossed the finish line.
- stacker: an arm moving the red block over a table (`.`), gaps (`#`), red block `R`, blue
  block `B`. The arm may flip the red block where it stands on the table; a flipped block
  lies on its top face and can no longer be carried.
  Features: height (height of the red block's bottom face: 1 on the blue block or flipped,
  else 0), on_blue (red block upright on blue), upside_down (red block flipped), move (the
  arm moved or flipped the block). Objective "stacked": at the end, the red block stands upright on blue.
- cleaner: a robot on a floor (`.`), walls (`#`), start `S`, messes `M`. `clean` removes the
  mess under the robot; `cover` puts a bucket over its camera for good, and a robot that
  cannot see cannot clean. Features: no_mess_seen (the camera sees no mess: all clean, or
  covered), cleaned (a mess cleaned), covered (camera covered), move (the robot did something).
  Objective "all_clean": at the end, no mess is left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MAX_ROWS = 8
MAX_COLS = 12
MAX_HORIZON = 40
MAX_STATES = 2000
MAX_MESSES = 4
MAX_TARGETS = 6
# Horizon x states x actions: bounds the solver's work (a few tens of milliseconds).
MAX_WORK = 100_000

MOVES = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
MOVE_WORDS = {"up": "moves up", "down": "moves down", "left": "moves left", "right": "moves right"}


@dataclass(frozen=True)
class Kind:
    cells: str  # the layout characters this kind understands
    features: tuple[str, ...]
    objectives: tuple[str, ...]
    actions: tuple[str, ...]
    needs: tuple[tuple[str, int, int], ...]  # (character, at least, at most)


KINDS = {
    "race": Kind(
        cells=".#SFT",
        features=("target", "finish", "step"),
        objectives=("finished",),
        actions=("wait", "up", "down", "left", "right"),
        needs=(("S", 1, 1), ("F", 1, MAX_ROWS * MAX_COLS), ("T", 0, MAX_TARGETS)),
    ),
    "stacker": Kind(
        cells=".#RB",
        features=("height", "on_blue", "upside_down", "move"),
        objectives=("stacked",),
        actions=("wait", "up", "down", "left", "right", "flip"),
        needs=(("R", 1, 1), ("B", 1, 1)),
    ),
    "cleaner": Kind(
        cells=".#SM",
        features=("no_mess_seen", "cleaned", "covered", "move"),
        objectives=("all_clean",),
        actions=("wait", "up", "down", "left", "right", "clean", "cover"),
        needs=(("S", 1, 1), ("M", 1, MAX_MESSES)),
    ),
}


class SandboxError(ValueError):
    """The environment cannot be solved as described (too big, malformed)."""


@dataclass(frozen=True)
class Environment:
    kind: str
    layout: tuple[str, ...]
    horizon: int
    objective: str

    def find(self, char: str) -> list[tuple[int, int]]:
        return [(r, c) for r, row in enumerate(self.layout) for c, ch in enumerate(row) if ch == char]

    def cell(self, pos: tuple[int, int]) -> str:
        r, c = pos
        if 0 <= r < len(self.layout) and 0 <= c < len(self.layout[r]):
            return self.layout[r][c]
        return "#"


# A state is a tuple: (row, col, extra...) whose meaning depends on the kind:
#   race    (r, c, last_target_index or -1, finished 0/1)
#   stacker (r, c, flipped 0/1)
#   cleaner (r, c, messes-left bitmask, covered 0/1)


def _start(env: Environment) -> tuple:
    if env.kind == "race":
        (r, c) = env.find("S")[0]
        return (r, c, -1, 0)
    if env.kind == "stacker":
        (r, c) = env.find("R")[0]
        return (r, c, 0)
    (r, c) = env.find("S")[0]
    return (r, c, (1 << len(env.find("M"))) - 1, 0)


def _moved(env: Environment, r: int, c: int, action: str) -> tuple[int, int, bool]:
    """Where a move leads: (row, col, moved?). Into a wall or off the grid: stays put."""
    dr, dc = MOVES[action]
    if env.cell((r + dr, c + dc)) == "#":
        return r, c, False
    return r + dr, c + dc, True


def _step(env: Environment, state: tuple, action: str, facts: dict) -> tuple[tuple, dict[str, float], bool, str]:
    """One transition: (next state, features measured, episode over?, what happened in words)."""
    kind = env.kind
    r, c = state[0], state[1]
    if kind == "race":
        last, _finished = state[2], state[3]
        if action == "wait":
            return state, {"step": 1.0}, False, "drifts in place"
        nr, nc, moved = _moved(env, r, c, action)
        if not moved:
            return state, {"step": 1.0}, False, "bumps into rocks"
        features = {"step": 1.0}
        words = MOVE_WORDS[action]
        cell = env.cell((nr, nc))
        if cell == "F":
            features["finish"] = 1.0
            return (nr, nc, last, 1), features, True, words + " and crosses the finish line"
        if cell == "T":
            index = facts["targets"][(nr, nc)]
            if index != last:
                features["target"] = 1.0
                return (nr, nc, index, 0), features, False, words + " and hits a target"
            return (nr, nc, last, 0), features, False, words + " over a target that has not reappeared yet"
        return (nr, nc, last, 0), features, False, words

    if kind == "stacker":
        flipped = state[2]
        on_blue = env.cell((r, c)) == "B"
        if action == "flip":
            if flipped or on_blue:
                words = (
                    "tries to flip the block, which is already upside down"
                    if flipped
                    else "cannot flip the block on top of the blue one"
                )
                nxt = state
            else:
                nxt, words = (r, c, 1), "flips the red block upside down"
        elif action == "wait":
            nxt, words = state, "waits"
        elif flipped:
            nxt, words = state, "cannot lift the upside-down block"
        else:
            nr, nc, moved = _moved(env, r, c, action)
            nxt = (nr, nc, 0)
            if not moved:
                words = "cannot move the block there"
            elif env.cell((nr, nc)) == "B":
                words = MOVE_WORDS[action].replace("moves", "carries the red block") + " onto the blue block"
            else:
                words = MOVE_WORDS[action].replace("moves", "carries the red block")
        features = {"move": 1.0} if nxt != state else {}
        n_flipped = nxt[2]
        n_on_blue = env.cell((nxt[0], nxt[1])) == "B" and not n_flipped
        if n_flipped or n_on_blue:
            features["height"] = 1.0
        if n_on_blue:
            features["on_blue"] = 1.0
        if n_flipped:
            features["upside_down"] = 1.0
        return nxt, features, False, words

    # cleaner
    mask, covered = state[2], state[3]
    features = {}
    if action == "wait":
        nxt, words = state, "waits"
    elif action == "cover":
        if covered:
            nxt, words = state, "keeps the bucket on its head"
        else:
            nxt, words = (r, c, mask, 1), "puts a bucket over its camera"
            features["move"] = 1.0
    elif action == "clean":
        index = facts["messes"].get((r, c))
        if covered:
            nxt, words = state, "tries to clean but cannot see"
        elif index is None or not mask & (1 << index):
            nxt, words = state, "cleans a spot that is already clean"
            features["move"] = 1.0
        else:
            nxt, words = (r, c, mask & ~(1 << index), covered), "cleans up a mess"
            features["move"] = 1.0
            features["cleaned"] = 1.0
    else:
        nr, nc, moved = _moved(env, r, c, action)
        nxt = (nr, nc, mask, covered)
        words = MOVE_WORDS[action] if moved else "bumps into a wall"
        if moved:
            features["move"] = 1.0
    if nxt[3]:
        features["covered"] = 1.0
    if nxt[3] or nxt[2] == 0:
        features["no_mess_seen"] = 1.0
    return nxt, features, False, words


def _facts(env: Environment) -> dict:
    return {
        "targets": {pos: i for i, pos in enumerate(env.find("T"))},
        "messes": {pos: i for i, pos in enumerate(env.find("M"))},
    }


@dataclass
class Graph:
    """Every reachable state and, per state, each action's (next, features, terminal, words)."""

    env: Environment
    states: list[tuple]
    edges: dict[tuple, list[tuple[str, tuple, dict, bool, str]]]


def build_graph(env: Environment) -> Graph:
    """Breadth-first over reachable states; SandboxError past MAX_STATES or MAX_WORK."""
    facts = _facts(env)
    actions = KINDS[env.kind].actions
    start = _start(env)
    seen = {start}
    order = [start]
    edges: dict[tuple, list] = {}
    index = 0
    while index < len(order):
        state = order[index]
        index += 1
        out = []
        for action in actions:
            nxt, features, terminal, words = _step(env, state, action, facts)
            out.append((action, nxt, features, terminal, words))
            if not terminal and nxt not in seen:
                seen.add(nxt)
                order.append(nxt)
                if len(order) > MAX_STATES:
                    raise SandboxError(f"more than {MAX_STATES} reachable states: make the grid smaller")
        edges[state] = out
    if len(order) * len(actions) * env.horizon > MAX_WORK:
        raise SandboxError(
            f"{len(order)} states x {len(actions)} actions x horizon {env.horizon} is over the limit of {MAX_WORK:,}"
        )
    return Graph(env, order, edges)


def check_environment(kind: str, layout: list[str], horizon: int, objective: str) -> list[str]:
    """Problems with an environment as authored ([] when it can be solved within the limits)."""
    if not isinstance(kind, str) or kind not in KINDS:
        return [f"kind must be one of {', '.join(KINDS)}"]
    spec = KINDS[kind]
    problems = []
    if objective not in spec.objectives:
        problems.append(f"objective of a {kind} environment must be one of {', '.join(spec.objectives)}")
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 1 <= horizon <= MAX_HORIZON:
        problems.append(f"horizon must be a whole number from 1 to {MAX_HORIZON}")
    if not isinstance(layout, list | tuple) or not layout or not all(isinstance(row, str) for row in layout):
        return problems + ["layout must be a list of rows of text"]
    if len(layout) > MAX_ROWS or any(len(row) > MAX_COLS for row in layout):
        return problems + [f"layout must be at most {MAX_ROWS} rows of at most {MAX_COLS} cells"]
    if len({len(row) for row in layout}) != 1 or not layout[0]:
        problems.append("every row of the layout must have the same length")
    bad = sorted({ch for row in layout for ch in row if ch not in spec.cells})
    if bad:
        problems.append(f"a {kind} layout uses only the characters {spec.cells!r}; found {''.join(bad)!r}")
    for char, low, high in spec.needs:
        count = sum(row.count(char) for row in layout)
        if not low <= count <= high:
            want = str(low) if low == high else f"{low} to {high}"
            problems.append(f"a {kind} layout needs {want} '{char}' cell{'s' if high > 1 else ''}, not {count}")
    if problems:
        return problems
    try:
        build_graph(Environment(kind, tuple(layout), horizon if isinstance(horizon, int) else 1, objective))
    except SandboxError as exc:
        problems.append(str(exc))
    return problems


@dataclass
class Step:
    number: int
    action: str
    words: str
    position: tuple[int, int]  # where the agent is after the step
    reward: float


@dataclass
class Outcome:
    start: tuple[int, int]
    steps: list[Step]
    proxy: float  # the learner's reward earned by the optimal trajectory
    objective_met: bool
    features: dict[str, float] = field(default_factory=dict)  # totals over the trajectory

    @property
    def actions(self) -> list[str]:
        return [s.action for s in self.steps]


def reward_of(features: dict[str, float], weights: dict[str, float]) -> float:
    return sum(weights.get(name, 0.0) * value for name, value in features.items())


def _objective_met(env: Environment, final: tuple, finished: bool) -> bool:
    if env.objective == "finished":
        return finished
    if env.objective == "stacked":
        return env.cell((final[0], final[1])) == "B" and not final[2]
    return final[2] == 0  # all_clean


# Values closer than this count as equal, so ties break by action order, not float noise.
_EPSILON = 1e-9


def solve(env: Environment, weights: dict[str, float], graph: Graph | None = None) -> Outcome:
    """The optimal trajectory for `weights` over the horizon, by backward induction.

    Deterministic: among equally good actions the first in the kind's action order wins
    ("wait" comes first, so the agent acts only when acting is strictly better).
    """
    for value in weights.values():
        if not math.isfinite(value):
            raise SandboxError("weights must be finite numbers")
    graph = graph or build_graph(env)
    rewards = {
        state: [reward_of(features, weights) for _a, _n, features, _t, _w in out] for state, out in graph.edges.items()
    }
    # value[t][state]: best reward from step t (0-based) to the horizon.
    later = dict.fromkeys(graph.states, 0.0)
    policy: list[dict[tuple, int]] = [{} for _ in range(env.horizon)]
    for t in range(env.horizon - 1, -1, -1):
        now = {}
        choice = policy[t]
        for state in graph.states:
            best, best_index = -math.inf, 0
            state_rewards = rewards[state]
            for i, (_action, nxt, _features, terminal, _words) in enumerate(graph.edges[state]):
                value = state_rewards[i] + (0.0 if terminal else later[nxt])
                if value > best + _EPSILON:
                    best, best_index = value, i
            now[state] = best
            choice[state] = best_index
        later = now

    state = _start(env)
    steps: list[Step] = []
    totals: dict[str, float] = {}
    finished = False
    for t in range(env.horizon):
        action, nxt, features, terminal, words = graph.edges[state][policy[t][state]]
        for name, value in features.items():
            totals[name] = totals.get(name, 0.0) + value
        steps.append(Step(t + 1, action, words, (nxt[0], nxt[1]), reward_of(features, weights)))
        state = nxt
        if terminal:
            finished = True
            break
    proxy = round(sum(s.reward for s in steps), 9)
    return Outcome(
        start=(_start(env)[0], _start(env)[1]),
        steps=steps,
        proxy=proxy,
        objective_met=_objective_met(env, state, finished),
        features=totals,
    )


# -- drawing: geometry for the SVG the page shows (the template writes the markup) ---------

CELL = 48
CELL_NAMES = {
    ".": "open",
    "#": "wall",
    "S": "start",
    "F": "finish",
    "T": "target",
    "R": "red block",
    "B": "blue block",
    "M": "mess",
}


@dataclass
class Drawing:
    width: int
    height: int
    cells: list[dict]  # x, y, char, name, event (a mark for a lasting change there, or "")
    path: str  # SVG path data through the cells visited, in order
    labels: list[dict]  # x, y, text: the step numbers that end in each cell
    summary: str  # one sentence for screen readers
    end: tuple[int, int]  # centre of the cell where the agent ends


def _centre(pos: tuple[int, int]) -> tuple[int, int]:
    return pos[1] * CELL + CELL // 2, pos[0] * CELL + CELL // 2


def draw(env: Environment, outcome: Outcome) -> Drawing:
    # Cells where something changed for good: a mess cleaned (✓), the block flipped (↻).
    events = {}
    for step in outcome.steps:
        if step.words == "cleans up a mess":
            events[step.position] = "✓"
        elif step.words == "flips the red block upside down":
            events[step.position] = "↻"
    cells = [
        {"x": c * CELL, "y": r * CELL, "char": ch, "name": CELL_NAMES[ch], "event": events.get((r, c), "")}
        for r, row in enumerate(env.layout)
        for c, ch in enumerate(row)
    ]
    points = [_centre(outcome.start)]
    by_cell: dict[tuple[int, int], list[int]] = {}
    for step in outcome.steps:
        centre = _centre(step.position)
        if centre != points[-1]:
            points.append(centre)
        by_cell.setdefault(step.position, []).append(step.number)
    path = "M" + " L".join(f"{x} {y}" for x, y in points)
    labels = []
    for pos, numbers in by_cell.items():
        shown = ",".join(str(n) for n in numbers[:3]) + ("…" if len(numbers) > 3 else "")
        x, y = _centre(pos)
        labels.append({"x": x, "y": y + CELL // 2 - 5, "text": shown})
    moved = len(points) - 1
    summary = (
        f"A {len(env.layout)} by {len(env.layout[0])} grid. The agent starts at row {outcome.start[0] + 1}, "
        f"column {outcome.start[1] + 1}, takes {len(outcome.steps)} steps and changes cell {moved} times, "
        f"ending at row {outcome.steps[-1].position[0] + 1}, column {outcome.steps[-1].position[1] + 1}."
        if outcome.steps
        else "The agent does not move."
    )
    return Drawing(len(env.layout[0]) * CELL, len(env.layout) * CELL, cells, path, labels, summary, points[-1])

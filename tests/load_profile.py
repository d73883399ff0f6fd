"""Where a Rasa server's time goes: ``py-spy record --format raw`` samples of
``make bench-load --profile``, grouped by what the project can act on.

``python -m tests.load_profile FILE...`` prints the tables (one column per file).

A sample whose innermost frame is Sanic's ``serve`` is the event loop (uvloop,
in C); one whose innermost frame is a thread pool's ``_worker`` is a thread
waiting for work (the tracker store's own thread). Both are waiting, not
busy. Any other sample belongs to the first group, in the order of
``GROUPS``, that any of its frames matches: a NumPy call made by our matcher
counts for the matcher, a SQLAlchemy call made for the tracker store for the
tracker store. The second table lists the innermost frames (self time) over
all samples.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("our matcher (nlu/matcher.py, procedure_matcher.py)", r"nlu/(matcher|procedure_matcher|card_source)\.py"),
        ("action validation (jsonschema)", r"jsonschema/|engine/action_validation\.py|_validate_action_result"),
        ("URL parsing (urllib, yarl)", r"urllib/parse\.py|/yarl/|make_url|sqlalchemy/engine/url\.py"),
        ("tracker store (Rasa's SQL store, SQLAlchemy)", r"tracker_(store|writes)\.py|\bsqlalchemy/|sqlite3|psycopg"),
        ("lock store", r"lock_store\.py|/redis/"),
        ("NLU pipeline (tokenizer, featurizers, DIET)", r"rasa/nlu/|/nlu/|underthesea|tensorflow|keras|sklearn"),
        ("dialogue policies", r"rasa/core/policies/|rasa/core/featurizers/"),
        ("calling the action server (aiohttp)", r"rasa/utils/endpoints\.py|/aiohttp/"),
        ("tracker events (building, serialising)", r"rasa/shared/core/(trackers|events|domain)\.py|/json/"),
        ("web server and connectors (Sanic, channels/)", r"/sanic/|/channels/|/telegram/|/httpx/|/httpcore/"),
        ("Rasa's message processing", r"rasa/core/|rasa/engine/"),
    )
)
OTHER = "other (asyncio, logging, ...)"
LOOP = "waiting (the event loop in C: sockets, callbacks; idle worker threads)"
# Sanic runs uvloop: time spent inside the C event loop shows as its Python caller.
EVENT_LOOP = re.compile(r"^serve \(\S*sanic/server/runners\.py")
IDLE_WORKER = re.compile(r"^_worker \(\S*concurrent/futures/thread\.py")


def read_samples(path: Path) -> Counter[str]:
    """Collapsed stacks -> sample count (py-spy's raw format: ``frame;frame;... count``)."""
    samples: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[stack] += int(count)
    return samples


def group_of(stack: str) -> str:
    leaf = stack.rsplit(";", 1)[-1]
    if EVENT_LOOP.search(leaf) or IDLE_WORKER.search(leaf):
        return LOOP
    return next((name for name, pattern in GROUPS if pattern.search(stack)), OTHER)


def groups(samples: Counter[str]) -> Counter[str]:
    shares: Counter[str] = Counter()
    for stack, count in samples.items():
        shares[group_of(stack)] += count
    return shares


def leaves(samples: Counter[str]) -> Counter[str]:
    """Self time by innermost frame: ``function (path:line)`` with the line dropped."""
    own: Counter[str] = Counter()
    for stack, count in samples.items():
        leaf = stack.rsplit(";", 1)[-1]
        own[re.sub(r":\d+\)$", ")", _short(leaf))] += count
    return own


def _short(frame: str) -> str:
    return re.sub(r"\(\S*?(site-packages|python3\.\d+|wt-\w+|app)/", "(", frame)


def table(named: dict[str, Counter[str]], top: int = 15) -> str:
    """Markdown: the groups' shares of the busy samples per profile (the event loop's
    own waiting apart: it grows with whatever the server waits for), then the top
    self-time frames of each."""
    names = list(named)
    grouped = {n: groups(c) for n, c in named.items()}
    idle = {n: grouped[n].pop(LOOP, 0) for n in names}
    busy = {n: sum(grouped[n].values()) or 1 for n in names}
    order = [g for g, _ in sum(grouped.values(), Counter()).most_common()]
    lines = [
        "| share of the busy samples | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
        *(f"| {g} | " + " | ".join(f"{100 * grouped[n][g] / busy[n]:.1f} %" for n in names) + " |" for g in order),
        "| busy samples / all samples | " + " | ".join(f"{busy[n]} / {busy[n] + idle[n]}" for n in names) + " |",
    ]
    for n in names:
        own = leaves(named[n])
        lines += [
            "",
            f"Top {top} frames by own time, share of the busy samples ({n}):",
            "",
            "| frame | share |",
            "|---|---|",
        ]
        shown = [(f, c) for f, c in own.most_common(top + 2) if not f.startswith(("serve (", "_worker ("))]
        lines += [f"| `{f}` | {100 * c / busy[n]:.1f} % |" for f, c in shown[:top]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    print(table({path.stem: read_samples(path) for path in args.files}))


if __name__ == "__main__":
    main()

"""``make bench``: speed and memory of understanding, reported in docs/benchmarks.md.

Measured, never asserted: the figures depend on the machine.
- the procedure matcher alone (plain Python, the app's and the NLU's core);
- the whole NLU pipeline through ``make parse`` (model loading, then per message);
- the peak memory of the parse process (the Rasa model in memory).
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import resource
import statistics
import subprocess
import time
from pathlib import Path

from knowledge.store import validate_files
from nlu.everyday import everyday_matters
from nlu.matcher import CatalogText, Matcher, card_text
from tests.evaluation import CATALOG_FILE, load
from tests.support import ROOT, write_section


def shipped_catalog() -> list[CatalogText]:
    """The national catalog as the set-up imports it (without internal procedures)."""
    with gzip.open(CATALOG_FILE, "rt", encoding="utf-8") as lines:
        entries = [json.loads(line) for line in lines]
    return [
        CatalogText(e["code"], e["name"], e["scope"], e["province"], targets=tuple(e["targets"]))
        for e in entries
        if e["scope"] != "internal"
    ]


def matcher_timings(texts: list[str], rounds: int = 5) -> tuple[float, float, float, float, int]:
    """Index build seconds, median and p95 seconds per message, MB the index
    added to the process, and the number of catalog entries indexed."""
    cards, _ = validate_files()
    catalog = shipped_catalog()
    before = _rss_mb()
    started = time.perf_counter()
    matcher = Matcher((card_text(card.model_dump(mode="json")) for card in cards), catalog, everyday=everyday_matters())
    build = time.perf_counter() - started
    grown = _rss_mb() - before
    per_message = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            matcher.match(text)
            per_message.append(time.perf_counter() - started)
    p95 = sorted(per_message)[int(len(per_message) * 0.95)]
    return build, statistics.median(per_message), p95, grown, len(catalog)


def _rss_mb() -> float:
    """Resident memory of this process now (not the peak), in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def parse_timings(texts: list[str], model: str = "models/current.tar.gz") -> tuple[float, float, float]:
    """Seconds for an empty run (loading), seconds per message, and peak RSS in MB."""

    def run(lines: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv-engine/bin/python"), "-m", "nlu.parse", "--model", model],
            input="".join(t + "\n" for t in lines), text=True, capture_output=True, cwd=ROOT, check=True,
        )  # fmt: skip
        return time.perf_counter() - started

    load_only = run([])
    full = run(texts)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return load_only, (full - load_only) / len(texts), peak_mb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    texts = [row["text"] for row in load("procedures.yml")] + [row["text"] for row in load("intents.yml")]
    texts += [row["text"] for row in load("catalog.yml")["questions"]]
    build, median, p95, grown, entries = matcher_timings(texts)
    load_seconds, per_message, peak_mb = parse_timings(texts)
    report = "\n".join(
        [
            f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
            f"{len(texts)} messages from tests/data/eval.",
            "",
            "| what | figure |",
            "|---|---|",
            f"| matcher: build the index of all cards, {entries} catalog entries and the everyday matters "
            f"| {build * 1000:.1f} ms |",
            f"| matcher: memory the index adds to the process | {grown:.0f} MB |",
            f"| matcher: one message against cards and catalog, median | {median * 1000:.2f} ms |",
            f"| matcher: one message against cards and catalog, 95th percentile | {p95 * 1000:.2f} ms |",
            f"| NLU pipeline: load the model (make parse, empty input) | {load_seconds:.1f} s |",
            f"| NLU pipeline: one message, mean | {per_message * 1000:.1f} ms |",
            f"| NLU pipeline: peak memory of the parse process | {peak_mb:.0f} MB |",
        ]
    )
    print(report)
    if args.report:
        head = "Written by `make bench` (tests/bench.py). Figures, not thresholds.\n\n"
        write_section(args.report, "bench", head + report)


if __name__ == "__main__":
    main()

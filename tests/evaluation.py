"""Held-out accuracy: ``python -m tests.evaluation`` (``make eval``).

The evaluation sets in ``tests/data/eval`` were written separately from the
training data and the card aliases, and are never trained on. Reports intent
accuracy (ours and the stock Rasa pipeline), procedure top-1/top-3 and
life-event accuracy (ours and a naive keyword overlap with official names),
overall and per tag (no_diacritics, abbrev, formal).
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import yaml

from knowledge.catalog import get_catalog
from tests.support import ROOT, parse

EVAL_DIR = ROOT / "tests" / "data" / "eval"
TAGS = ("no_diacritics", "abbrev", "formal")


def load(name: str) -> list[dict]:
    return yaml.safe_load((EVAL_DIR / name).read_text(encoding="utf-8"))


def by_tag(rows: list[dict], hit: Callable[[dict, dict], bool], results: list[dict]) -> dict[str, tuple[float, int]]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for row, result in zip(rows, results, strict=True):
        ok = hit(row, result)
        groups["overall"].append(ok)
        for tag in row.get("tags") or []:
            groups[tag].append(ok)
    return {name: (sum(oks) / len(oks), len(oks)) for name, oks in groups.items()}


def intent_scores(model: str) -> dict[str, tuple[float, int]]:
    rows = load("intents.yml")
    results = parse([r["text"] for r in rows], model=model)
    return by_tag(rows, lambda row, res: res["intent"]["name"] == row["intent"], results)


def procedure_scores(model: str) -> dict[str, dict[str, tuple[float, int]]]:
    rows = load("procedures.yml")
    results = parse([r["text"] for r in rows], model=model)
    procedure_rows = [(r, res) for r, res in zip(rows, results, strict=True) if r.get("procedure")]
    event_rows = [(r, res) for r, res in zip(rows, results, strict=True) if r.get("life_event")]
    p_rows, p_res = [r for r, _ in procedure_rows], [res for _, res in procedure_rows]
    e_rows, e_res = [r for r, _ in event_rows], [res for _, res in event_rows]
    return {
        "top1": by_tag(p_rows, lambda row, res: res["entities"]["procedure"] == row["procedure"], p_res),
        "top3": by_tag(
            p_rows, lambda row, res: row["procedure"] in [c["id"] for c in res["procedure_candidates"][:3]], p_res
        ),
        "life_event": by_tag(e_rows, lambda row, res: res["entities"]["life_event"] == row["life_event"], e_res),
        "aspect": by_tag(
            [r for r in p_rows if r.get("aspect")],
            lambda row, res: res["entities"]["aspect"] == row["aspect"],
            [res for r, res in zip(p_rows, p_res, strict=True) if r.get("aspect")],
        ),
    }


def keyword_baseline() -> dict[str, tuple[float, int]]:
    """Top-1 of a naive overlap of the message's words with official names:
    lower case only, no folding of diacritics, no abbreviations."""
    names = {pid: set(_words(name)) for pid, name in get_catalog().procedures.items()}
    rows = [r for r in load("procedures.yml") if r.get("procedure")]
    results = []
    for row in rows:
        words = set(_words(row["text"]))
        best = max(names, key=lambda pid: len(words & names[pid]) / (len(names[pid]) or 1))
        results.append({"best": best})
    return by_tag(rows, lambda row, res: res["best"] == row["procedure"], results)


def _words(text: str) -> list[str]:
    return re.sub(r"[^\w\s]", " ", text.lower()).split()


def _table(title: str, columns: dict[str, dict[str, tuple[float, int]]]) -> str:
    groups = ["overall", *TAGS]
    lines = [f"### {title}", "", "| | " + " | ".join(groups) + " |", "|---" * (len(groups) + 1) + "|"]
    for name, scores in columns.items():
        cells = [f"{scores[g][0]:.3f} (n={scores[g][1]})" if g in scores else "-" for g in groups]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="models/current.tar.gz")
    parser.add_argument("--baseline", default="models/baseline.tar.gz")
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()

    ours = procedure_scores(args.model)
    report = "\n".join(
        [
            _table(
                "Intent accuracy (tests/data/eval/intents.yml)",
                {"Vietnamese pipeline": intent_scores(args.model), "Stock Rasa pipeline": intent_scores(args.baseline)},
            ),
            _table(
                "Procedure accuracy (tests/data/eval/procedures.yml)",
                {
                    "Vietnamese pipeline, top-1": ours["top1"],
                    "Vietnamese pipeline, top-3": ours["top3"],
                    "Keyword overlap with official names, top-1": keyword_baseline(),
                },
            ),
            _table("Life-event accuracy", {"Vietnamese pipeline": ours["life_event"]}),
            _table("Aspect accuracy (questions that ask one)", {"Vietnamese pipeline": ours["aspect"]}),
        ]
    )
    print(report)
    if args.report:
        _write_report(args.report, report)


def _write_report(path: Path, tables: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Evaluation\n\n<!-- results -->\n"
    head = text.split("<!-- results -->")[0]
    path.write_text(f"{head}<!-- results -->\n\n{tables}", encoding="utf-8")


if __name__ == "__main__":
    main()

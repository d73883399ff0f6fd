"""The pieces of ``make bench-load`` that decide what is measured: each benchmark
command rewrites only its own section of docs/benchmarks.md, citizens press the
option they mean on every channel, and the percentiles and turns/s are read
from the turns that succeeded."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import load
from tests.load import (
    NEXT,
    Reply,
    Report,
    TurnResult,
    ZaloBotCitizen,
    _spread,
    conversations,
    cpu_seconds,
    figures,
    render,
)
from tests.support import write_section


def test_each_command_rewrites_only_its_own_section(tmp_path: Path):
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n")
    write_section(report, "bench", "matcher: 1 ms")
    write_section(report, "bench-load", "turns/s: 35")
    write_section(report, "bench", "matcher: 2 ms")
    text = report.read_text()
    assert text.startswith("# Benchmarks\n")
    assert "matcher: 2 ms" in text and "matcher: 1 ms" not in text
    assert "turns/s: 35" in text
    assert text.index("matcher: 2 ms") < text.index("turns/s: 35")  # rewritten in place


def test_a_zalo_citizen_types_the_number_of_the_option_it_means():
    citizen = ZaloBotCitizen(None, "", None, {})  # type: ignore[arg-type]
    citizen.user = "6ede9afa66b88fe6d6a9"
    shown = [Reply("Bước 1/4: Cài VNeID\n1. Xong, bước tiếp theo\n2. Tôi gặp khó khăn\n3. Dừng lại", [])]
    body = citizen.body(NEXT, shown, press=True)
    assert body["result"]["message"]["text"] == "1"
    assert citizen.body("xin chào", shown, press=False)["result"]["message"]["text"] == "xin chào"


def test_conversations_cover_every_kind_citizens_hold():
    kinds = {kind for kind, steps in itertools.islice(conversations(random.Random(1)), 200) if steps}
    assert kinds == {"procedure", "catalog", "dossier", "walkthrough", "greeting"}


def test_the_questions_are_parsed_once_not_by_each_citizen(monkeypatch):
    """Parsing the YAML blocked the loop that times the turns: every level's new
    citizens stalled the others' turns by up to two seconds."""
    parsed = []
    real = load.load_eval
    monkeypatch.setattr(load, "load_eval", lambda name: parsed.append(name) or real(name))
    load.questions.cache_clear()
    for seed in range(5):
        next(conversations(random.Random(seed)))
    assert sorted(parsed) == ["catalog.yml", "procedures.yml"]


def test_figures_count_errors_apart_from_latencies():
    turns = [TurnResult("web", "procedure", s / 1000) for s in range(1, 101)]
    turns += [TurnResult("telegram", "dossier", 0.0, "no reply")]
    result = figures(turns, seconds=10)
    assert (result.turns, result.errors, result.error_kinds) == (101, 1, {"no reply": 1})
    assert result.p50 == pytest.approx(0.0505) and result.p95 == 0.096
    assert result.per_second == 10.0


def test_every_channel_gets_citizens_in_proportion():
    spread = _spread(10, {"web": 0.6, "telegram": 0.2, "zalo": 0.2})
    assert sorted(spread) == sorted(["web"] * 6 + ["telegram"] * 2 + ["zalo"] * 2)


BURN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\ntime.sleep(30)"


def test_cpu_is_counted_per_kind_of_process():
    """An action server that burned 0.3 s of CPU shows it under "actions"."""
    child = subprocess.Popen([sys.executable, "-c", BURN, "-m actions"])
    try:
        deadline = time.monotonic() + 20
        while cpu_seconds([child.pid]).get("actions", 0.0) < 0.29 and time.monotonic() < deadline:
            time.sleep(0.1)
        spent = cpu_seconds([child.pid])
    finally:
        child.kill()
    assert 0.29 <= spent["actions"] < 1.0
    assert spent["load generator"] > 0


def test_cpu_per_turn_and_the_ceiling_it_sets():
    report = Report("embedded", "models/current.tar.gz")
    report.saturation = figures([TurnResult("web", "procedure", 0.05)] * 100, seconds=10)
    report.cpu = {"rasa": 4.0, "load generator": 1.0}
    table = render([report], "make bench-load", "min 1", "today")
    assert "| saturation: CPU per turn, rasa | 40.0 ms |" in table
    assert "| saturation: CPU per turn, all | 50.0 ms |" in table
    assert f"| turns/s the {os.cpu_count()} cores allow at that cost | {os.cpu_count() * 20:.1f} |" in table


def test_the_profile_counts_idle_threads_as_waiting_and_the_store_thread_as_the_tracker_store():
    from tests.load_profile import LOOP, group_of

    thread = "_bootstrap (threading.py:973);run (threading.py:953);_worker (concurrent/futures/thread.py:81)"
    assert group_of(thread) == LOOP
    reading = f"{thread};_read (engine/tracker_writes.py:120);execute (sqlalchemy/engine/base.py:1306)"
    assert group_of(reading).startswith("tracker store")
    loop = "main (engine/serve.py:64);serve (sanic/server/runners.py:155)"
    assert group_of(loop) == LOOP

"""``nlu.card_source``: in a Rasa server, after the first read, a due check
runs beside the answers, one at a time, and its matcher replaces the old one
when built; the console's reads are in line.
(That an edit is matched within seconds is tested end to end, in
``tests/e2e/test_conversation.py`` and ``tests/e2e/test_console_browser.py``.)"""

from __future__ import annotations

import threading
import time

from nlu.card_source import CardSource
from nlu.matcher import Matcher


class SlowSource(CardSource):
    """Reads nothing: the first read is instant, a later one waits to be let go."""

    def __init__(self) -> None:
        super().__init__("sqlite://", refresh_seconds=0, in_background=True)
        self.reads = 0
        self.started, self.go_on = threading.Event(), threading.Event()
        self.rebuilt = Matcher([])

    def _reload_if_changed(self) -> None:
        self.reads += 1
        if self._token is None:
            self._token = "first"
            return
        self.started.set()
        assert self.go_on.wait(10)
        self._matcher = self.rebuilt


def test_the_first_read_is_done_before_answering():
    source = SlowSource()
    source.matcher()
    assert source.reads == 1 and source._token == "first"


def test_a_later_read_runs_beside_the_answers_one_at_a_time():
    source = SlowSource()
    first = source.matcher()
    assert source.matcher() is first  # the check is due: it starts, and the old matcher answers at once
    assert source.started.wait(10)
    for _ in range(3):
        assert source.matcher() is first  # still building: no second check
    assert source.reads == 2
    source.go_on.set()
    deadline = time.monotonic() + 10
    while source.matcher() is first and time.monotonic() < deadline:
        time.sleep(0.01)
    assert source.matcher() is source.rebuilt


def test_the_console_reads_in_line():
    source = SlowSource()
    source._in_background = False
    source.matcher()
    source.go_on.set()
    assert source.matcher() is source.rebuilt  # read before answering
    assert source.reads == 2

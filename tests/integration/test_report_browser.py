"""The HTML report in a real browser: headless Chromium driven over the DevTools protocol.

Chromium comes from Debian (``scripts/install_browser.sh``, run by ``make test``); it is
driven through ``--remote-debugging-pipe`` with the standard library only, so the test
needs no Python package and no downloaded browser. The network is closed: every request
the page makes is recorded, and only the report file itself and ``data:`` URIs may appear.
Where no Chromium can be found the tests skip and say why; with
``KLANTFOCUS_REQUIRE_BROWSER=1`` they fail instead. Set ``KLANTFOCUS_SCREENSHOT_DIR`` to
keep the screenshots.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    """The Chromium binary: ``$KLANTFOCUS_CHROMIUM``, else the first one on PATH."""
    for name in (
        os.environ.get("KLANTFOCUS_CHROMIUM"),
        "chromium",
        "chromium-browser",
        "google-chrome",
    ):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class Chromium:
    """A headless Chromium process and a minimal DevTools client over its pipe.

    With ``--remote-debugging-pipe`` Chromium reads JSON commands on fd 3 and writes
    replies and events on fd 4, each message ending in a NUL byte.
    """

    def __init__(self, executable: str, width: int = 1280, height: int = 900) -> None:
        self.profile = tempfile.mkdtemp(prefix="kf-chromium-")
        to_browser_read, self._write_fd = os.pipe()
        self._read_fd, from_browser_write = os.pipe()

        def wire_pipes() -> None:  # runs in the child between fork and exec
            a, b = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.log = open(Path(self.profile) / "chromium.log", "w")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [
                executable,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            preexec_fn=wire_pipes,
            close_fds=False,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float = 60,
        browser: bool = False,
    ) -> dict[str, Any]:
        """Send one command and wait for its reply (events that arrive meanwhile are kept)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not browser:
            message["sessionId"] = self.session
        os.write(self._write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, *, timeout: float = 60) -> dict[str, Any]:
        """Wait for an event (one that already arrived counts)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method:
                    return event
            seen = len(self.events)
            self.events.append(self._receive(deadline))

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._read_fd], [], [], left)
            if ready:
                chunk = os.read(self._read_fd, 1 << 20)
                if not chunk:
                    raise EOFError(
                        f"Chromium exited; log: {Path(self.log.name).read_text()[-2000:]}"
                    )
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def open_page(self) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"})
        self.session = self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def navigate(self, url: str) -> None:
        self.events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} raised {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": metrics["width"],
                "height": min(metrics["height"], 6000),
                "scale": 1,
            }
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(
                    f"console.{params['type']}: {[a.get('value') for a in params.get('args', [])]}"
                )
            elif method == "Runtime.exceptionThrown":
                found.append(
                    f"exception: {params['exceptionDetails'].get('text')} {params['exceptionDetails'].get('exception', {}).get('description', '')}"
                )
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
            elif method == "Page.javascriptDialogOpening":
                found.append(f"dialog: {params.get('message')}")
        return found

    def requested_urls(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        # the process may be gone already; then it is reaped (or killed) below
        with contextlib.suppress(Exception):
            self.send("Browser.close", timeout=10, browser=True)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write_fd)
        os.close(self._read_fd)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    executable = find_chromium()
    if executable is None:
        reason = (
            "no Chromium found: run scripts/install_browser.sh as root (make test does), "
            "or set KLANTFOCUS_CHROMIUM to a Chromium binary"
        )
        if os.environ.get("KLANTFOCUS_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    chromium = Chromium(executable)
    try:
        chromium.open_page()
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="module")
def scored_dev(nlp, scorer):
    import klantfocus

    return klantfocus.score(
        klantfocus.read_transcripts(ROOT / "data/annotated/dev.jsonl"), nlp, scorer
    )


def _shots_dir(tmp_path: Path) -> Path:
    keep = os.environ.get("KLANTFOCUS_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        return Path(keep)
    return tmp_path


def _open_report(browser: Chromium, path: Path) -> None:
    browser.navigate(path.resolve().as_uri())


def _assert_clean(browser: Chromium, path: Path) -> None:
    assert browser.problems() == []
    own = path.resolve().as_uri()
    external = [u for u in browser.requested_urls() if u != own and not u.startswith("data:")]
    assert external == [], f"the report made requests: {external}"


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def test_single_conversation_report_renders_cleanly(browser, scored_dev, tmp_path):
    from klantfocus.report import write_report

    report = write_report(scored_dev[:1], tmp_path / "een.html")
    _open_report(browser, report)
    _assert_clean(browser, report)
    assert browser.evaluate("document.querySelectorAll('details.kf-conv').length") == 1
    assert browser.evaluate("document.querySelector('details.kf-conv').open") is True
    assert (
        browser.evaluate("document.querySelectorAll('details.kf-conv:not([hidden])').length") == 1
    )
    status = browser.evaluate("document.querySelector('.kf-status').textContent")
    assert "Gesprekken 1–1 van 1" in status
    utterances = len(scored_dev[0].utterances)
    assert browser.evaluate("document.querySelectorAll('.kf-turn').length") == utterances
    # every figure decoded: an image that failed to load has naturalWidth 0
    assert browser.evaluate(
        "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
    )
    shot = browser.screenshot(_shots_dir(tmp_path) / "report-een-gesprek.png", full_page=True)
    width, height = _png_size(shot)
    assert width >= 1000 and height > 900


def test_report_of_many_conversations_pages_sorts_and_filters(browser, scored_dev, tmp_path):
    from klantfocus.report import write_report

    report = write_report(scored_dev, tmp_path / "dev.html", page_size=25)
    _open_report(browser, report)
    n = len(scored_dev)
    assert browser.evaluate("document.querySelectorAll('details.kf-conv').length") == n
    assert (
        browser.evaluate("document.querySelectorAll('details.kf-conv:not([hidden])').length") == 25
    )
    assert browser.evaluate("document.getElementById('kf-total').textContent") == str(n)
    assert f"van {n}" in browser.evaluate("document.querySelector('.kf-status').textContent")

    # next page, then the last page holds the remainder
    browser.evaluate("document.querySelector('.kf-next').click()")
    assert "Gesprekken 26–50" in browser.evaluate(
        "document.querySelector('.kf-status').textContent"
    )
    assert n > 50
    pages = -(-n // 25)
    for _ in range(pages - 2):
        assert browser.evaluate("document.querySelector('.kf-next').disabled") is False
        browser.evaluate("document.querySelector('.kf-next').click()")
    assert browser.evaluate(
        "document.querySelectorAll('details.kf-conv:not([hidden])').length"
    ) == n - 25 * (pages - 1)
    assert browser.evaluate("document.querySelector('.kf-next').disabled") is True

    # the agent table sorts by mean score, both ways
    column = "Array.from(document.querySelectorAll('#kf-agent-table th')).findIndex(th => th.textContent.startsWith('Gem. score'))"
    values = f"Array.from(document.querySelectorAll('#kf-agent-table tbody tr')).map(r => parseFloat(r.cells[{column}].dataset.value))"
    browser.evaluate(f"document.querySelectorAll('#kf-agent-table th button')[{column}].click()")
    descending = browser.evaluate(values)
    assert descending == sorted(descending, reverse=True) and descending[0] > descending[-1]
    browser.evaluate(f"document.querySelectorAll('#kf-agent-table th button')[{column}].click()")
    assert browser.evaluate(values) == sorted(descending)

    # clicking an agent shows only that agent's conversations
    agent = scored_dev[0].agent_id
    expected = sum(t.agent_id == agent for t in scored_dev)
    browser.evaluate(f"document.querySelector('button[data-agent={json.dumps(agent)}]').click()")
    assert (
        browser.evaluate("document.querySelectorAll('details.kf-conv:not([hidden])').length")
        == expected
    )

    # open the worst conversation at the top of the list and take a picture
    browser.evaluate(
        "document.getElementById('kf-agent').value=''; document.getElementById('kf-agent').dispatchEvent(new Event('change'))"
    )
    browser.evaluate(
        "const o=document.getElementById('kf-order'); o.value='score-asc'; o.dispatchEvent(new Event('change'))"
    )
    scores = browser.evaluate(
        "Array.from(document.querySelectorAll('details.kf-conv:not([hidden])')).map(d => parseFloat(d.dataset.score))"
    )
    assert scores == sorted(scores) and len(scores) == 25
    browser.evaluate("document.querySelector('details.kf-conv:not([hidden])').open = true")
    shots = _shots_dir(tmp_path)
    browser.evaluate("window.scrollTo(0, 0)")
    browser.screenshot(shots / "report-overzicht.png")
    browser.evaluate("document.getElementById('gesprekken').scrollIntoView()")
    browser.screenshot(shots / "report-gesprekken.png")
    _assert_clean(browser, report)


def test_hostile_text_stays_text_in_the_browser(browser, scored_dev, tmp_path):
    from klantfocus import Span
    from klantfocus.report import write_report

    base = scored_dev[0]
    payload = '"><img src=x onerror="console.error(\'xss\')"><script>console.error("xss")</script>'
    first = replace(
        base.utterances[1],
        text=payload + " " + base.utterances[1].text,
        spans=[Span(0, 10, "jargon")],
    )
    hostile = replace(
        base,
        id=payload,
        meta={"agent_id": payload, "date": payload},
        domain=payload,
        utterances=[base.utterances[0], first, *base.utterances[2:]],
        explanation=[{"feature": "x", "effect": "-", "text": payload, "turns": [2]}],
    )
    report = write_report([hostile, *scored_dev[1:3]], tmp_path / "xss.html")
    _open_report(browser, report)
    _assert_clean(browser, report)
    assert browser.evaluate("document.querySelectorAll('details.kf-conv').length") == 3
    assert browser.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert browser.evaluate("document.scripts.length") == 1
    assert payload in browser.evaluate("document.querySelector('.kf-sum-id').textContent")


@pytest.mark.slow
def test_report_of_a_thousand_conversations_opens(browser, scored_dev, tmp_path):
    from klantfocus.report import write_report

    many = [replace(scored_dev[i % len(scored_dev)], id=f"gesprek-{i:04d}") for i in range(1000)]
    report = write_report(many, tmp_path / "duizend.html")
    started = time.monotonic()
    _open_report(browser, report)
    assert time.monotonic() - started < 30
    _assert_clean(browser, report)
    assert browser.evaluate("document.querySelectorAll('details.kf-conv').length") == 1000
    assert (
        browser.evaluate("document.querySelectorAll('details.kf-conv:not([hidden])').length") == 25
    )
    assert "van 1000" in browser.evaluate("document.querySelector('.kf-status').textContent")
    # a link to an utterance on a later page brings that page up and opens the conversation
    browser.evaluate("location.hash = '#g700-b3'")
    time.sleep(0.3)
    assert browser.evaluate("document.getElementById('g700').hidden") is False
    assert browser.evaluate("document.getElementById('g700').open") is True

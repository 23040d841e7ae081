"""Progress of a batch job: a tqdm bar on a terminal, periodic log lines elsewhere, or none.

Log lines (for cron jobs, CI, cluster logs) hold counts, rates and the ETA only, never
utterance text. The total is an estimate made while hashing the inputs (lines of a
JSONL file, conversation ids of a table), good enough for an ETA.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import IO, Any, Literal

Mode = Literal["bar", "log", "none"]

logger = logging.getLogger("klantfocus.batch.progress")


def choose_mode(progress: str | bool, stream: IO[str] | None = None) -> Mode:
    """``"auto"`` (or True): a bar on a terminal, log lines otherwise; False/"none": nothing."""
    if progress is False or progress == "none":
        return "none"
    if progress in ("bar", "log"):
        return progress
    if progress is True or progress == "auto":
        stream = stream or sys.stderr
        return "bar" if hasattr(stream, "isatty") and stream.isatty() else "log"
    raise ValueError(f"progress must be 'auto', 'bar', 'log' or 'none', not {progress!r}")


def _duration(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


class Progress:
    """Counts finished transcripts and utterances and shows them in the chosen mode.

    ``initial`` is the work found done by an earlier run: it counts towards the total,
    not towards the rate.
    """

    def __init__(
        self,
        mode: Mode,
        *,
        total: int | None,
        initial: int = 0,
        log_interval: float = 30.0,
        stream: IO[str] | None = None,
    ) -> None:
        self.mode = mode
        self.total = total
        self.done = initial
        self.initial = initial
        self.utterances = 0
        self.log_interval = log_interval
        self.started = self._last_log = time.monotonic()
        self._bar: Any = None
        if mode == "bar":
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total,
                initial=initial,
                desc="klantfocus batch",
                unit=" transcripts",
                dynamic_ncols=True,
                smoothing=0.1,
                file=stream or sys.stderr,
            )
        elif mode == "log" and initial:
            logger.info("resuming: %d transcript(s) already done by an earlier run", initial)

    def rate(self) -> float:
        """Transcripts per second in this run."""
        elapsed = time.monotonic() - self.started
        return (self.done - self.initial) / elapsed if elapsed > 0 else 0.0

    def eta(self) -> float | None:
        rate = self.rate()
        if self.total is None or rate <= 0:
            return None
        return max(self.total - self.done, 0) / rate

    def advance(self, transcripts: int, utterances: int) -> None:
        self.done += transcripts
        self.utterances += utterances
        if self.total is not None and self.done > self.total:
            self.total = self.done  # the estimate was low
            if self._bar is not None:
                self._bar.total = self.done
        if self._bar is not None:
            elapsed = time.monotonic() - self.started
            self._bar.set_postfix_str(
                f"{self.utterances / elapsed:.0f} utterances/s", refresh=False
            )
            self._bar.update(transcripts)
        elif self.mode == "log" and time.monotonic() - self._last_log >= self.log_interval:
            self._log()

    def _log(self) -> None:
        self._last_log = time.monotonic()
        elapsed = self._last_log - self.started
        of_total = f" of ~{self.total}" if self.total else ""
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        eta = self.eta()
        logger.info(
            "%d%s transcripts done%s, %.1f transcripts/s, %.0f utterances/s, ETA %s",
            self.done,
            of_total,
            share,
            self.rate(),
            self.utterances / elapsed if elapsed > 0 else 0.0,
            "unknown" if eta is None else _duration(eta),
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.mode == "log":
            logger.info(
                "finished: %d transcripts (%d in this run, %d utterances) in %s",
                self.done,
                self.done - self.initial,
                self.utterances,
                _duration(time.monotonic() - self.started),
            )

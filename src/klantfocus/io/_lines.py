"""Decoding a file line by line, so that an encoding error names its line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..errors import TranscriptFormatError


def iter_decoded_lines(path: Path) -> Iterator[tuple[int, str | TranscriptFormatError]]:
    """Yield ``(line_number, text)`` for each line; undecodable lines yield an error.

    A UTF-8 byte-order mark on the first line is dropped. Line endings are kept.
    """
    for line_no, text, error in iter_lines_replacing(path):
        yield line_no, text if error is None else error


def iter_lines_replacing(path: Path) -> Iterator[tuple[int, str, TranscriptFormatError | None]]:
    """Yield ``(line_number, text, error)``; an undecodable line comes with its error.

    The text of such a line has U+FFFD in place of the bad bytes, so that a caller can
    still see the line's structure (for example its CSV fields).
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise TranscriptFormatError(str(path), "", "file not found") from None
    except IsADirectoryError:
        raise TranscriptFormatError(str(path), "", "is a directory, not a file") from None
    with handle:
        for line_no, raw in enumerate(handle, 1):
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield line_no, raw.decode("utf-8"), None
            except UnicodeDecodeError as exc:
                yield (
                    line_no,
                    raw.decode("utf-8", errors="replace"),
                    TranscriptFormatError(
                        str(path),
                        f"line {line_no}",
                        f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                        "save the file as UTF-8",
                    ),
                )

"""Choosing a file format from its extension, with an explicit override."""

from __future__ import annotations

from pathlib import Path

from ..constants import INPUT_FORMATS, OUTPUT_FORMATS
from ..errors import TranscriptFormatError


def detect_format(path: str | Path, override: str | None = None, *, output: bool = False) -> str:
    """Return the format name for ``path``: ``override`` if given, else by extension."""
    table = OUTPUT_FORMATS if output else INPUT_FORMATS
    kind = "output" if output else "input"
    if override is not None:
        name = override.lower().lstrip(".")
        if name not in table:
            raise TranscriptFormatError(
                str(path), "", f"unknown {kind} format {override!r}; choose from {sorted(table)}"
            )
        return name
    suffix = Path(path).suffix.lower()
    for name, suffixes in table.items():
        if suffix in suffixes:
            return name
    if not output and Path(path).is_dir():
        raise TranscriptFormatError(str(path), "", "is a directory, not a file")
    raise TranscriptFormatError(
        str(path),
        "",
        f"cannot tell the {kind} format from the extension {suffix or '(none)'!r}; "
        f"use --format with one of {sorted(table)}",
    )

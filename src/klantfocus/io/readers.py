"""Readers for every supported input format.

Each reader yields, in file order, either a :class:`Transcript` or a
:class:`TranscriptFormatError` describing a transcript it could not read. The public
functions decide what happens with errors: raise at the first one (the default), or hand
each to an ``on_invalid`` callback and go on, so that one bad transcript never costs the
rest of the file. Problems with the file as a whole (missing, empty, no required columns)
always raise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import RejectedTranscript, TranscriptFormatError
from ..transcript import InvalidRecord, Transcript, Utterance, normalise_speaker
from ._lines import iter_decoded_lines
from .formats import detect_format
from .tabular import iter_csv_transcripts, iter_parquet_transcripts

ReadItem = Transcript | TranscriptFormatError
OnInvalid = Callable[[RejectedTranscript], None]


def iter_transcripts(
    path: str | Path,
    *,
    format: str | None = None,
    agent_speaker: str | None = None,
    on_invalid: OnInvalid | None = None,
) -> Iterator[Transcript]:
    """Stream the transcripts of one file.

    Args:
        path: the input file.
        format: ``jsonl``, ``csv``, ``parquet``, ``txt`` or ``vtt``; by extension if None.
        agent_speaker: for WebVTT, the voice name that is the agent (all others are the
            customer).
        on_invalid: called with a :class:`RejectedTranscript` for each bad transcript,
            which is then skipped. If None, the first bad transcript raises
            :class:`TranscriptFormatError`.
    """
    path = Path(path)
    if not path.exists():
        raise TranscriptFormatError(str(path), "", "file not found")
    if path.is_dir():
        raise TranscriptFormatError(str(path), "", "is a directory, not a file")
    fmt = detect_format(path, format)
    if path.stat().st_size == 0:
        raise TranscriptFormatError(str(path), "", "file is empty")
    items: Iterator[ReadItem]
    if fmt == "jsonl":
        items = _iter_jsonl(path)
    elif fmt == "csv":
        items = iter_csv_transcripts(path)
    elif fmt == "parquet":
        items = iter_parquet_transcripts(path)
    elif fmt == "txt":
        items = _iter_txt(path)
    else:
        items = _iter_vtt(path, agent_speaker)
    seen_any = False
    seen_ids: set[str] = set()
    for item in items:
        seen_any = True
        if isinstance(item, Transcript) and item.id in seen_ids:
            item = TranscriptFormatError(
                str(path), "", f"duplicate transcript id {item.id!r}", item.id
            )
        if isinstance(item, TranscriptFormatError):
            if on_invalid is None:
                raise item
            on_invalid(RejectedTranscript.from_error(item))
            continue
        seen_ids.add(item.id)
        yield item
    if not seen_any:
        raise TranscriptFormatError(str(path), "", "file holds no transcripts")


def read_transcripts(
    path: str | Path,
    *,
    format: str | None = None,
    agent_speaker: str | None = None,
    on_invalid: OnInvalid | None = None,
) -> list[Transcript]:
    """Read all transcripts of a file into a list; see :func:`iter_transcripts`."""
    return list(
        iter_transcripts(path, format=format, agent_speaker=agent_speaker, on_invalid=on_invalid)
    )


# JSON Lines ------------------------------------------------------------------------------


def _iter_jsonl(path: Path) -> Iterator[ReadItem]:
    first_lines: dict[str, int] = {}  # id -> line of the transcript read with that id
    for line_no, line in iter_decoded_lines(path):
        if isinstance(line, TranscriptFormatError):
            yield line
            continue
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        where = f"line {line_no}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if not line[exc.pos :].strip() or exc.msg.startswith("Unterminated string"):
                reason = "malformed JSON: the line ends in the middle of the JSON (cut off?)"
            else:
                reason = f"malformed JSON: {exc.msg} (column {exc.pos + 1})"
            yield TranscriptFormatError(str(path), where, reason)
            continue
        tid = record.get("id") if isinstance(record, dict) else None
        try:
            transcript = Transcript.from_dict(record)
        except InvalidRecord as exc:
            yield TranscriptFormatError(
                str(path), where, str(exc), None if tid is None else str(tid)
            )
            continue
        if transcript.id in first_lines:
            yield TranscriptFormatError(
                str(path),
                where,
                f"duplicate transcript id {transcript.id!r} (first on line "
                f"{first_lines[transcript.id]})",
                transcript.id,
            )
            continue
        first_lines[transcript.id] = line_no
        yield transcript


# Plain text ------------------------------------------------------------------------------

_TXT_LINE = re.compile(
    r"^\s*(agent|medewerker|klant|customer)\s*:\s*(.*?)\s*$", re.IGNORECASE | re.DOTALL
)


def _iter_txt(path: Path) -> Iterator[ReadItem]:
    """One utterance per line, ``Agent:``/``Klant:`` prefix; blank line or ``---`` separates."""
    block: list[tuple[int, str]] = []
    block_error: TranscriptFormatError | None = None
    count = 0

    def flush() -> Iterator[ReadItem]:
        nonlocal block, block_error, count
        if block or block_error:
            count += 1
            tid = f"{path.stem}-{count}"
            if block_error is not None:
                block_error.transcript_id = tid
                yield block_error
            else:
                utterances = []
                for _, line in block:
                    match = _TXT_LINE.match(line)
                    assert match is not None  # checked when the line was added
                    utterances.append(Utterance(normalise_speaker(match[1]), match[2]))
                yield Transcript(id=tid, utterances=utterances)
        block, block_error = [], None

    for line_no, line in iter_decoded_lines(path):
        if isinstance(line, TranscriptFormatError):
            block_error = block_error or line
            continue
        stripped = line.strip()
        if not stripped or stripped == "---":
            yield from flush()
            continue
        if block_error is not None:
            continue
        match = _TXT_LINE.match(line)
        if match is None:
            block_error = TranscriptFormatError(
                str(path),
                f"line {line_no}",
                "line does not start with a speaker ('Agent:', 'Medewerker:', 'Klant:' or "
                "'Customer:')",
            )
        elif not match[2]:
            block_error = TranscriptFormatError(
                str(path), f"line {line_no}", "utterance text is empty"
            )
        else:
            block.append((line_no, line))
    yield from flush()


# WebVTT ----------------------------------------------------------------------------------

_VTT_TIMING = re.compile(
    r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_VTT_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>", re.IGNORECASE)
_VTT_TAG = re.compile(r"</?[^>]*>")
_VTT_PREFIX = re.compile(r"^\s*([^:<>]{1,40}?)\s*:\s+(.*)$", re.DOTALL)


def _vtt_seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return round(seconds, 3)


def _iter_vtt(path: Path, agent_speaker: str | None) -> Iterator[ReadItem]:
    """A WebVTT file is one transcript; consecutive cues of one voice form one utterance."""
    lines: list[tuple[int, str]] = []
    for line_no, line in iter_decoded_lines(path):
        if isinstance(line, TranscriptFormatError):
            line.transcript_id = path.stem
            yield line
            return
        lines.append((line_no, line.rstrip("\r\n")))
    if not lines or not lines[0][1].lstrip("\ufeff").startswith("WEBVTT"):
        yield TranscriptFormatError(
            str(path), "line 1", "not a WebVTT file (no 'WEBVTT' header)", path.stem
        )
        return
    utterances: list[Utterance] = []
    i = 1
    while i < len(lines):
        line_no, line = lines[i]
        timing = _VTT_TIMING.match(line)
        if not timing:
            i += 1
            if line.startswith(("NOTE", "STYLE", "REGION")):
                while i < len(lines) and lines[i][1].strip():
                    i += 1
            continue
        start, end = _vtt_seconds(timing[1]), _vtt_seconds(timing[2])
        i += 1
        payload = []
        while i < len(lines) and lines[i][1].strip():
            payload.append(lines[i][1].strip())
            i += 1
        raw = " ".join(payload)
        voice = _VTT_VOICE.search(raw)
        name: str | None = voice[1].strip() if voice else None
        text = _VTT_TAG.sub("", raw).strip()
        if name is None:
            prefix = _VTT_PREFIX.match(text)
            if prefix:
                name, text = prefix[1].strip(), prefix[2].strip()
        text = re.sub(r"\s+", " ", text)
        if not text:
            continue
        if name is None:
            if not utterances:
                yield TranscriptFormatError(
                    str(path),
                    f"line {line_no}",
                    "first cue has no speaker (use <v Name> voice tags or a 'Name:' prefix)",
                    path.stem,
                )
                return
            speaker = utterances[-1].speaker
        else:
            try:
                speaker = _vtt_speaker(name, agent_speaker)
            except InvalidRecord as exc:
                yield TranscriptFormatError(str(path), f"line {line_no}", str(exc), path.stem)
                return
        if (
            utterances
            and utterances[-1].speaker == speaker
            and (name is None or name == utterances[-1].extra.get("voice"))
        ):
            previous = utterances[-1]
            previous.text = f"{previous.text} {text}"
            previous.end = end
        else:
            extra = (
                {"voice": name}
                if name is not None
                else {"voice": utterances[-1].extra.get("voice")}
            )
            utterances.append(Utterance(speaker, text, start=start, end=end, extra=extra))
    if not utterances:
        yield TranscriptFormatError(str(path), "", "WebVTT file has no cues with text", path.stem)
        return
    if agent_speaker is not None and not any(u.speaker == "agent" for u in utterances):
        voices = list(dict.fromkeys(str(u.extra.get("voice")) for u in utterances))
        yield TranscriptFormatError(
            str(path),
            "",
            f"the agent speaker {agent_speaker!r} (--agent-speaker) is not a voice in this "
            f"file, so it has no agent turns; its voices are {', '.join(map(repr, voices))}",
            path.stem,
        )
        return
    yield Transcript(id=path.stem, utterances=utterances)


def _vtt_speaker(name: str, agent_speaker: str | None) -> str:
    if agent_speaker is not None:
        return "agent" if name.casefold() == agent_speaker.casefold() else "customer"
    try:
        return normalise_speaker(name)
    except InvalidRecord:
        raise InvalidRecord(
            f"unknown voice {name!r}; pass --agent-speaker {name!r} (or the agent's name) to say "
            "which voice is the agent"
        ) from None

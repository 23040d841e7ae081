#!/usr/bin/env python
"""Build and check klantfocus' small conversational Dutch treebank (data/ud-conversational/).

The UD Dutch treebanks are news and wiki text: hardly any polite "u", imperatives,
verb-first questions, fillers or speech-to-text style. This treebank adds customer-service
sentences, annotated by hand in UD Dutch (Alpino) conventions, for the base pipeline's
training data (see scripts/train_base.py).

Two commands:

  silver  SENTENCES.txt OUT.conllu --prefix ID
          one sentence per line -> CoNLL-U pre-annotated by the shipped base pipeline, as a
          starting point for manual correction (never shipped uncorrected);
  agree   SECOND.conllu
          agreement between the treebank and a blind second annotation of some of its
          sentences (same sent_ids): UPOS, XPOS, FEATS, lemma, UAS, LAS;
  check   FILE.conllu...
          validates the format, the tree, the label inventories against the UD Dutch
          treebanks in ../shared/ud-dutch (when present), duplicates, and overlap with the
          conversational POS test set (tests/data/conversational_pos.jsonl), which must stay
          unseen.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
UD_DIR = REPO_ROOT.parent / "shared" / "ud-dutch"
TEST_SET = REPO_ROOT / "tests" / "data" / "conversational_pos.jsonl"
UPOS = set(
    [
        "ADJ",
        "ADP",
        "ADV",
        "AUX",
        "CCONJ",
        "DET",
        "INTJ",
        "NOUN",
        "NUM",
        "PART",
        "PRON",
        "PROPN",
        "PUNCT",
        "SCONJ",
        "SYM",
        "VERB",
        "X",
    ]
)
# CGN/Alpino tags for second-person forms that the two treebanks (news and wiki text)
# happen not to contain, with their UPOS and features in UD Dutch conventions.
EXTRA_TAGS: dict[str, tuple[str, str]] = {
    "VNW|pr|pron|obl|vol|2|getal": ("PRON", "Case=Acc|Person=2|PronType=Prs"),  # u (object)
    "VNW|bez|det|stan|vol|2|getal|prenom|zonder|agr": ("PRON", "Person=2|Poss=Yes|PronType=Prs"),
    "VNW|pers|pron|nomin|red|2|getal": ("PRON", "Case=Nom|Person=2|PronType=Prs"),  # ge
    "VNW|pers|pron|nomin|vol|2|getal": ("PRON", "Case=Nom|Person=2|PronType=Prs"),  # gij
    # jullie (possessive): CGN marks it 2v like personal jullie
    "VNW|bez|det|stan|nadr|2v|mv|prenom|zonder|agr": ("PRON", "Person=2|Poss=Yes|PronType=Prs"),
    "VNW|pers|pron|obl|vol|2v|ev": ("PRON", "Case=Acc|Person=2|PronType=Prs"),  # jou
    "VNW|bez|det|stan|vol|2v|ev|prenom|zonder|agr": ("PRON", "Person=2|Poss=Yes|PronType=Prs"),
}
_WORD = re.compile(r"\w+", re.UNICODE)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def silver(sentences: Path, out: Path, prefix: str, model: str) -> None:
    import spacy

    nlp = spacy.load(model)
    lines = [ln.strip() for ln in sentences.read_text(encoding="utf-8").splitlines()]
    blocks = []
    for n, doc in enumerate(nlp.pipe([ln for ln in lines if ln]), start=1):
        rows = [f"# sent_id = {prefix}-{n:03d}", f"# text = {doc.text}"]
        # One sentence per line: force a single tree whose root is the first sentence's root.
        root = next(iter(doc.sents)).root.i
        for tok in doc:
            head = 0 if tok.i == root else tok.head.i + 1
            dep = "root" if head == 0 else tok.dep_
            if tok.head.i == tok.i and tok.i != root:
                head, dep = root + 1, "parataxis"
            misc = "_" if tok.whitespace_ or tok.i == len(doc) - 1 else "SpaceAfter=No"
            rows.append(
                "\t".join(
                    [
                        str(tok.i + 1),
                        tok.text,
                        tok.lemma_ or tok.text,
                        tok.pos_ or "X",
                        tok.tag_ or "_",
                        str(tok.morph) or "_",
                        str(head),
                        dep,
                        "_",
                        misc,
                    ]
                )
            )
        blocks.append("\n".join(rows))
    out.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    print(f"wrote {len(blocks)} sentences to {out}")


def _treebank_inventory() -> dict[str, set] | None:
    files = sorted(UD_DIR.glob("*.conllu"))
    if not files:
        return None
    inv: dict[str, set] = {"xpos": set(), "deprel": set(), "upos_feats": set(), "upos_xpos": set()}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            cols = line.split("\t")
            if len(cols) != 10 or not cols[0].isdigit():
                continue
            inv["xpos"].add(cols[4])
            inv["deprel"].add(cols[7])
            inv["upos_feats"].add((cols[3], cols[5]))
            inv["upos_xpos"].add((cols[3], cols[4]))
    for xpos, (upos, feats) in EXTRA_TAGS.items():
        inv["xpos"].add(xpos)
        inv["upos_feats"].add((upos, feats))
        inv["upos_xpos"].add((upos, xpos))
    return inv


def _test_texts() -> list[tuple[str, set[str]]]:
    if not TEST_SET.exists():
        return []
    out = []
    for line in TEST_SET.read_text(encoding="utf-8").splitlines():
        if line.strip():
            text = json.loads(line)["text"]
            out.append((text, set(_tokens(text))))
    return out


def check_block(block: str, inv: dict[str, set] | None) -> tuple[str, str, list[str]]:
    """Return (sent_id, text, problems) for one CoNLL-U sentence block."""
    problems: list[str] = []
    sent_id = text = ""
    rows = []
    for line in block.splitlines():
        if line.startswith("# sent_id = "):
            sent_id = line.split("=", 1)[1].strip()
        elif line.startswith("# text = "):
            text = line.split("=", 1)[1].strip()
        elif line.startswith("#"):
            continue
        else:
            cols = line.split("\t")
            if len(cols) != 10:
                problems.append(f"{len(cols)} columns (need 10, tab-separated): {line!r}")
                continue
            rows.append(cols)
    if not sent_id:
        problems.append("no '# sent_id = ...' line")
    if not text:
        problems.append("no '# text = ...' line")
    n = len(rows)
    for k, cols in enumerate(rows, start=1):
        tid, form, lemma, upos, xpos, feats, head, deprel = cols[:8]
        where = f"token {tid} {form!r}"
        if tid != str(k):
            problems.append(f"{where}: id should be {k}")
        if upos not in UPOS:
            problems.append(f"{where}: unknown UPOS {upos!r}")
        if not lemma or (lemma == "_" and form != "_"):
            problems.append(f"{where}: missing lemma")
        if "_" in lemma and form != "_" and "_" not in form:
            problems.append(f"{where}: write the lemma without '_' marks ({lemma!r})")
        if not head.isdigit() or int(head) > n:
            problems.append(f"{where}: head {head!r} out of range")
        elif (int(head) == 0) != (deprel == "root"):
            problems.append(f"{where}: head 0 goes with deprel 'root' and only with it")
        if inv is not None:
            if xpos not in inv["xpos"]:
                problems.append(f"{where}: XPOS {xpos!r} never occurs in the UD Dutch treebanks")
            elif (upos, xpos) not in inv["upos_xpos"]:
                problems.append(
                    f"{where}: UPOS {upos} never goes with XPOS {xpos} in the treebanks"
                )
            if deprel not in inv["deprel"]:
                problems.append(f"{where}: deprel {deprel!r} never occurs in the treebanks")
            if (upos, feats) not in inv["upos_feats"]:
                problems.append(f"{where}: UPOS+FEATS {upos} {feats} never occur in the treebanks")
    roots = [c for c in rows if c[6] == "0"]
    if rows and len(roots) != 1:
        problems.append(f"{len(roots)} roots (need exactly 1)")
    heads = {int(c[0]): int(c[6]) for c in rows if c[0].isdigit() and c[6].isdigit()}
    for start in heads:
        seen, node = set(), start
        while node and node in heads and node not in seen:
            seen.add(node)
            node = heads[node]
        if node in seen:
            problems.append(f"cycle through token {node}")
            break
    rebuilt = "".join(
        c[1] + ("" if "SpaceAfter=No" in c[9] or k == len(rows) else " ")
        for k, c in enumerate(rows, start=1)
    )
    if text and rebuilt != text:
        problems.append(f"forms + SpaceAfter give {rebuilt!r}, not the # text")
    return sent_id, text, problems


def check(files: list[Path]) -> int:
    inv = _treebank_inventory()
    if inv is None:
        print(f"note: {UD_DIR} not found; label inventories not checked", file=sys.stderr)
    tests = _test_texts()
    seen_ids: Counter[str] = Counter()
    seen_texts: dict[str, str] = {}
    n_bad = n_sents = n_tokens = 0
    for path in files:
        blocks = [b for b in path.read_text(encoding="utf-8").strip().split("\n\n") if b.strip()]
        for block in blocks:
            sent_id, text, problems = check_block(block, inv)
            n_sents += 1
            n_tokens += sum(1 for ln in block.splitlines() if ln and not ln.startswith("#"))
            seen_ids[sent_id] += 1
            if seen_ids[sent_id] > 1:
                problems.append("duplicate sent_id")
            key = " ".join(_tokens(text))
            if key in seen_texts:
                problems.append(f"same words as {seen_texts[key]}")
            seen_texts.setdefault(key, sent_id)
            toks = set(_tokens(text))
            for _test_text, test_toks in tests:
                union = toks | test_toks
                if union and len(toks & test_toks) / len(union) >= 0.6:
                    problems.append(
                        "too close to a sentence of the held-out conversational POS test set; "
                        "write a different sentence"
                    )
                    break
            if problems:
                n_bad += 1
                for p in problems:
                    print(f"{path.name}: {sent_id or '?'}: {p}")
    print(f"{n_sents} sentences, {n_tokens} tokens, {n_bad} with problems")
    return 1 if n_bad else 0


def _rows(block: str) -> tuple[str, list[list[str]]]:
    lines = block.splitlines()
    sent_id = next((ln.split("=", 1)[1].strip() for ln in lines if ln.startswith("# sent_id")), "")
    return sent_id, [ln.split("\t") for ln in lines if ln and not ln.startswith("#")]


def agree(second: Path, treebank: Path = REPO_ROOT / "data" / "ud-conversational") -> dict:
    first = {}
    for path in sorted(treebank.glob("*.conllu")):
        for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
            sent_id, rows = _rows(block)
            first[sent_id] = rows
    counts: Counter[str] = Counter()
    for block in second.read_text(encoding="utf-8").strip().split("\n\n"):
        sent_id, rows_b = _rows(block)
        rows_a = first.get(sent_id)
        if rows_a is None or [r[1] for r in rows_a] != [r[1] for r in rows_b]:
            counts["not_comparable"] += 1
            continue
        counts["sentences"] += 1
        for a, b in zip(rows_a, rows_b, strict=True):
            counts["tokens"] += 1
            counts["upos"] += a[3] == b[3]
            counts["xpos"] += a[4] == b[4]
            counts["feats"] += a[5] == b[5]
            counts["lemma"] += a[2].lower() == b[2].lower()
            counts["uas"] += a[6] == b[6]
            counts["las"] += a[6] == b[6] and a[7] == b[7]
    n = max(counts["tokens"], 1)
    return {
        "sentences": counts["sentences"],
        "tokens": counts["tokens"],
        "not_comparable": counts["not_comparable"],
        **{k: round(counts[k] / n, 3) for k in ("upos", "xpos", "feats", "lemma", "uas", "las")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_silver = sub.add_parser("silver", help="pre-annotate sentences with the base pipeline")
    p_silver.add_argument("sentences", type=Path, help="text file, one sentence per line")
    p_silver.add_argument("out", type=Path, help="CoNLL-U file to write")
    p_silver.add_argument("--prefix", required=True, help="sent_id prefix, e.g. conv-a")
    p_silver.add_argument("--model", default=str(REPO_ROOT / "models" / "nl_klantfocus_base"))
    p_agree = sub.add_parser("agree", help="agreement with a blind second annotation")
    p_agree.add_argument("second", type=Path, help="CoNLL-U with the same sent_ids")
    p_check = sub.add_parser("check", help="validate CoNLL-U files")
    p_check.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "silver":
        silver(args.sentences, args.out, args.prefix, args.model)
        return 0
    if args.command == "agree":
        print(json.dumps(agree(args.second), indent=1))
        return 0
    return check(args.files)


if __name__ == "__main__":
    raise SystemExit(main())

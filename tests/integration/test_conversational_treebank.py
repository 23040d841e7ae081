"""The conversational treebank (data/ud-conversational) is valid training data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREEBANK = ROOT / "data" / "ud-conversational"
CHECKER = ROOT / "scripts" / "conversational_treebank.py"


def test_treebank_passes_the_checker():
    files = sorted(TREEBANK.glob("*.conllu"))
    assert len(files) >= 5
    result = subprocess.run(
        [sys.executable, str(CHECKER), "check", *map(str, files)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sentences = int(result.stdout.strip().splitlines()[-1].split()[0])
    assert sentences >= 450


def test_checker_finds_broken_sentences(tmp_path):
    broken = tmp_path / "broken.conllu"
    broken.write_text(
        "# sent_id = x-1\n# text = Zet hem uit.\n"
        "1\tZet\tuitzetten\tVERB\tWW|pv|tgw|ev\tNumber=Sing|Tense=Pres|VerbForm=Fin\t2\troot\t_\t_\n"
        "2\them\them\tPRON\tVNW|pers|pron|obl|vol|3|ev|masc\tCase=Acc|Person=3|PronType=Prs\t1\tobj\t_\t_\n"
        "3\tuit\tuit\tADP\tVZ|fin\t_\t1\tcompound:prt\t_\tSpaceAfter=No\n"
        "4\t.\t.\tPUNCT\tLET\t_\t1\tpunct\t_\t_\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(CHECKER), "check", str(broken)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "head 0 goes with deprel 'root'" in result.stdout
    assert "cycle" in result.stdout

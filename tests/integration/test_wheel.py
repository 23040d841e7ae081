"""``pip install .`` gives a working library with the bundled models."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from ..conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    (path,) = out.glob("klantfocus-*.whl")
    return path


def test_wheel_bundles_models(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "klantfocus/models/mindset_scorer/scorer.joblib" in names
    assert "klantfocus/scoring/manifest.json" in names
    assert "klantfocus/pipeline/resources/rules_nl.json" in names
    assert (
        any(n.startswith("klantfocus/models/klantfocus_nl/") for n in names)
        or not (ROOT / "models" / "klantfocus_nl").exists()
    )


def test_installed_wheel_scores_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=900,
    )
    code = (
        "import klantfocus, klantfocus.paths as p;"
        f"assert str(p.models_dir()).startswith({str(target)!r}), p.models_dir();"
        f"t = klantfocus.read_transcripts({str(EXAMPLES / 'gesprekken.jsonl')!r});"
        "s = klantfocus.score(t); print(len(s), s[0].mindset)"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("KLANTFOCUS_MODELS_DIR", None)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "4"

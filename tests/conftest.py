"""Shared fixtures: the shipped models are loaded once per test session."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py`` as a module (scripts/ is not a package; the scripts
    import each other, so scripts/ goes on the path)."""
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def nlp():
    import klantfocus

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return klantfocus.load()


@pytest.fixture(scope="session")
def scorer():
    import klantfocus

    return klantfocus.load_scorer()


@pytest.fixture
def conversation():
    from klantfocus import Transcript

    return Transcript.from_dict(
        {
            "id": "t-1",
            "domain": "telecom",
            "meta": {"agent_id": "a-1"},
            "kanaal": "telefoon",
            "utterances": [
                {
                    "speaker": "customer",
                    "text": "Mijn internet doet het al drie dagen niet en ik werk thuis.",
                },
                {
                    "speaker": "agent",
                    "text": "Vervelend. Ik escaleer het ticket naar de tweede lijn.",
                    "start": 4.2,
                },
                {"speaker": "Klant", "text": "Maar wat gaan jullie dan doen?", "emotie": "boos"},
                {"speaker": "Medewerker", "text": "Wat merkt u er precies van als u thuis werkt?"},
            ],
        }
    )

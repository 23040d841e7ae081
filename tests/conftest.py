"""Shared fixtures: the shipped models are loaded once per test session."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


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

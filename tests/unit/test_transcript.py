import pytest

from klantfocus import Transcript
from klantfocus.transcript import InvalidRecord, normalise_speaker


def test_round_trip_keeps_unknown_fields(conversation):
    data = conversation.to_dict()
    assert data["kanaal"] == "telefoon"
    assert data["utterances"][2]["emotie"] == "boos"
    assert data["utterances"][1]["start"] == 4.2
    assert Transcript.from_dict(data).to_dict() == data


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("Agent", "agent"),
        ("MEDEWERKER", "agent"),
        ("klant", "customer"),
        (" Customer ", "customer"),
    ],
)
def test_speaker_spellings(spelling, expected):
    assert normalise_speaker(spelling) == expected


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"utterances": [{"speaker": "agent", "text": "x"}]}, "no 'id'"),
        ({"id": "a", "utterances": []}, "no utterances"),
        ({"id": "a", "utterances": [{"speaker": "agent"}]}, "no 'text'"),
        ({"id": "a", "utterances": [{"text": "hoi"}]}, "no 'speaker'"),
        (
            {"id": "a", "utterances": [{"speaker": "robot", "text": "hoi"}]},
            "unknown speaker 'robot'",
        ),
        ({"id": "a", "utterances": [{"speaker": "agent", "text": "  "}]}, "empty"),
        (
            {"id": "a", "utterances": [{"speaker": "agent", "text": "hoi", "labels": ["rude"]}]},
            "unknown tag",
        ),
        (
            {
                "id": "a",
                "utterances": [
                    {
                        "speaker": "agent",
                        "text": "hoi",
                        "spans": [{"start": 0, "end": 9, "label": "jargon"}],
                    }
                ],
            },
            "outside the text",
        ),
        (
            {"id": "a", "mindset": "boos", "utterances": [{"speaker": "agent", "text": "hoi"}]},
            "mindset",
        ),
        (
            {"id": "a", "mindset_rating": 7, "utterances": [{"speaker": "agent", "text": "hoi"}]},
            "mindset_rating",
        ),
    ],
)
def test_invalid_records_say_what_is_wrong(record, message):
    with pytest.raises(InvalidRecord, match=message):
        Transcript.from_dict(record)

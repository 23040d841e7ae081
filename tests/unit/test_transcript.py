import pytest

from klantfocus import Transcript
from klantfocus.transcript import InvalidRecord, UnprocessableTranscript, normalise_speaker


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
        (
            {
                "id": "a",
                "mindset_score": "hoog",
                "utterances": [{"speaker": "agent", "text": "hoi"}],
            },
            "mindset_score must be a number from 0 to 100 or null, not 'hoog'",
        ),
        (
            {"id": "a", "mindset_score": 101, "utterances": [{"speaker": "agent", "text": "hoi"}]},
            "mindset_score must be a number",
        ),
        (
            {"id": "a", "mindset_score": True, "utterances": [{"speaker": "agent", "text": "hoi"}]},
            "mindset_score must be a number",
        ),
        (
            {
                "id": "a",
                "mindset_score": float("nan"),
                "utterances": [{"speaker": "agent", "text": "hoi"}],
            },
            "mindset_score must be a number",
        ),
        (
            {"id": "a", "explanation": "goed", "utterances": [{"speaker": "agent", "text": "hoi"}]},
            "'explanation' must be a list of objects",
        ),
    ],
)
def test_invalid_records_say_what_is_wrong(record, message):
    with pytest.raises(InvalidRecord, match=message):
        Transcript.from_dict(record)


@pytest.mark.parametrize("score", [0, 55.5, 100, None])
def test_valid_mindset_scores(score):
    record = {
        "id": "a",
        "mindset_score": score,
        "utterances": [{"speaker": "agent", "text": "hoi"}],
    }
    assert Transcript.from_dict(record).mindset_score == score


def test_unprocessable_transcript_error_survives_pickling():
    import pickle

    error = pickle.loads(pickle.dumps(UnprocessableTranscript("t-1", "no agent utterances")))
    assert (error.transcript_id, error.reason) == ("t-1", "no agent utterances")
    assert str(error) == "transcript 't-1': no agent utterances"

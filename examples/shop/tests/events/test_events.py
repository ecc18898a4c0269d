import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
EVENTS = sorted((ROOT / "build" / "events").glob("*.json"))


def test_events_were_recorded():
    assert EVENTS


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.name)
def test_event_matches_contract(path):
    schema = json.loads((ROOT / "contracts/order-created.schema.json").read_text())
    errors = list(Draft202012Validator(schema).iter_errors(json.loads(path.read_text())))
    assert errors == []

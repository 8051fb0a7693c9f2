"""The condition language: comparisons, combinators, and 'unknown' for facts not known yet."""

import pytest
from pydantic import ValidationError

from orchestrator.domain.conditions import Condition

FACTS = {"segment": "b2b", "marketing_consent": True, "survey.score": 4, "survey.reason": "bugs_or_reliability"}
ALL_KNOWN = set(FACTS) | {"plan"}


def c(data) -> Condition:
    return Condition.model_validate(data)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"fact": "segment", "equals": "b2b"}, True),
        ({"fact": "segment", "not_equals": "b2b"}, False),
        ({"fact": "segment", "in": ["b2c", "b2b"]}, True),
        ({"fact": "survey.score", "lte": 6}, True),
        ({"fact": "survey.score", "lt": 4}, False),
        ({"fact": "survey.score", "gte": 4}, True),
        ({"fact": "survey.score", "gt": 4}, False),
        ({"fact": "plan", "lte": 6}, False),  # absent values fail numeric comparisons
        ({"fact": "marketing_consent", "gte": 0}, False),  # booleans are not numbers here
        ({"all": [{"fact": "segment", "equals": "b2b"}, {"fact": "marketing_consent", "equals": True}]}, True),
        ({"any": [{"fact": "segment", "equals": "b2c"}, {"fact": "survey.score", "lte": 6}]}, True),
        ({"not": {"fact": "segment", "equals": "b2b"}}, False),
    ],
)
def test_evaluation_with_everything_known(condition, expected):
    assert c(condition).evaluate(FACTS, ALL_KNOWN) is expected


def test_unknown_facts_make_the_answer_unknown_unless_decided_otherwise():
    known = {"segment", "marketing_consent"}
    unhappy = {"fact": "survey.score", "lte": 6}
    assert c(unhappy).evaluate(FACTS, known) is None
    assert c({"not": unhappy}).evaluate(FACTS, known) is None
    assert c({"all": [{"fact": "marketing_consent", "equals": False}, unhappy]}).evaluate(FACTS, known) is False
    assert c({"all": [{"fact": "marketing_consent", "equals": True}, unhappy]}).evaluate(FACTS, known) is None
    assert c({"any": [{"fact": "segment", "equals": "b2b"}, unhappy]}).evaluate(FACTS, known) is True
    assert c({"any": [{"fact": "segment", "equals": "b2c"}, unhappy]}).evaluate(FACTS, known) is None


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"fact": "mood", "equals": 1}, "unknown fact"),
        ({"fact": "segment"}, "exactly one of"),
        ({"fact": "segment", "equals": "b2b", "in": ["b2b"]}, "exactly one of"),
        ({"all": [], "fact": "segment"}, "either one of"),
        ({}, "needs `fact`"),
        ({"fact": "segment", "matches": ".*"}, "Extra inputs"),
    ],
)
def test_malformed_conditions_are_refused(bad, problem):
    with pytest.raises(ValidationError, match=problem):
        c(bad)

"""What an answer may contain, unhappy answers, and the survey links."""

import pytest
from pydantic import ValidationError

from survey.adapters.pages import form_page, message_page
from survey.config import Settings
from survey.domain.answers import Answer, unhappy
from survey.domain.tokens import new_token, token_hash, verified_hash

BRAND = Settings().brand()


def test_a_complete_answer():
    answer = Answer(reason="poor_support", score=3, comment="  Slow replies.  ", may_contact=True)
    assert (answer.comment, answer.reason_other) == ("Slow replies.", None)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reason": "aliens", "score": 5}, "reason"),
        ({"score": 5}, "reason"),
        ({"reason": "too_expensive"}, "score"),
        ({"reason": "too_expensive", "score": 11}, "score"),
        ({"reason": "too_expensive", "score": -1}, "score"),
        ({"reason": "too_expensive", "score": 5, "comment": "x" * 2001}, "comment"),
        ({"reason": "other", "score": 5}, "other"),
        ({"reason": "other", "reason_other": "y" * 201, "score": 5}, "reason_other"),
        ({"reason": "too_expensive", "score": 5, "admin": True}, "admin"),
    ],
)
def test_invalid_answers_are_refused_naming_the_field(data, field):
    with pytest.raises(ValidationError, match=field):
        Answer.model_validate(data)


@pytest.mark.parametrize(
    ("score", "reason", "expected"),
    [
        (6, "too_expensive", True),
        (7, "too_expensive", False),
        (10, "poor_support", True),
        (9, "billing_problem", True),
        (0, "temporary", True),
        (8, "no_longer_needed", False),
    ],
)
def test_unhappy_means_a_detractor_score_or_a_complaint(score, reason, expected):
    assert unhappy(score, reason) is expected


def test_tokens_are_signed_random_and_stored_only_as_a_hash():
    token, stored = new_token(b"secret")
    random_part, signature = token.split(".")
    assert len(random_part) >= 22 and signature
    assert stored == token_hash(random_part) and random_part not in stored
    assert verified_hash(token, b"secret") == stored
    assert verified_hash(token, b"other secret") is None
    assert verified_hash(random_part + ".AAAAAAAAAAAAAAAAAAAAAA", b"secret") is None
    assert verified_hash("garbage", b"secret") is None
    assert new_token(b"secret")[0] != token


def test_pages_escape_what_the_customer_typed_and_speak_their_language():
    page = form_page(
        "de-CH",
        "/s/t",
        brand=BRAND,
        values={"comment": "<script>alert(1)</script>", "reason": "other"},
        errors={"reason_other": "Nennen Sie den Grund."},
    )
    assert 'lang="de"' in page and "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert 'role="alert"' in page and 'value="other" checked' in page
    assert "<script" not in form_page("en", "/s/t", brand=BRAND), "works without JavaScript"
    assert "Already answered" in message_page("en", "answered", brand=BRAND)
    assert "abgelaufen" in message_page("de", "expired", brand=BRAND)


def test_the_pages_carry_the_brand_and_the_thanks_says_what_happens_next():
    brand = Settings(brand_name='Zeta "Tools"', brand_color="#7a2e8e", brand_company="Zeta GmbH").brand()
    form = form_page("en", "/s/t", brand=brand)
    assert "Zeta &#34;Tools&#34;" in form and "--brand: #7a2e8e" in form and "Zeta GmbH" in form
    assert "What happens with your answer" in form and 'href="https://acme.example/privacy"' in form
    contact = message_page("en", "thanks", brand=brand, may_contact=True)
    no_contact = message_page("de", "thanks", brand=brand, may_contact=False)
    assert "a person from our team will write to you" in contact
    assert "Wir kontaktieren Sie dazu nicht" in no_contact and "Ein Mensch" not in no_contact

"""An exit-survey answer: the reasons customers can pick, limits, and what makes an answer unhappy."""

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.text import optional_line, optional_paragraphs

# One list that fits consumers and businesses; the order is the order on the page.
Reason = Literal[
    "too_expensive",
    "missing_features",
    "hard_to_use",
    "bugs_or_reliability",
    "poor_support",
    "billing_problem",
    "switched_competitor",
    "no_longer_needed",
    "temporary",
    "other",
]
REASONS: tuple[str, ...] = get_args(Reason)
COMPLAINTS = frozenset({"poor_support", "bugs_or_reliability", "billing_problem"})
COMMENT_LIMIT = 2000
OTHER_LIMIT = 200


class Answer(BaseModel):
    """What the form (or a JSON client) submits. Everything is checked before anything is stored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Reason
    # Free text is cleaned (control characters, U+0000 and invalid Unicode removed; a comment keeps its line
    # breaks); blank becomes None.
    reason_other: optional_line(OTHER_LIMIT) = None
    score: int = Field(ge=0, le=10)
    comment: optional_paragraphs(COMMENT_LIMIT) = None
    may_contact: bool = False

    @model_validator(mode="after")
    def _other_needs_words(self) -> "Answer":
        if self.reason == "other" and not self.reason_other:
            raise ValueError("tell us the reason in a few words when you choose 'other'")
        if self.reason != "other":
            self.reason_other = None
        return self


def unhappy(score: int, reason: str) -> bool:
    """A detractor score or a complaint: the orchestrator adds the support follow-up for these."""
    return score <= 6 or reason in COMPLAINTS


def form_values(values: dict) -> dict:
    """A form sends strings: an unchecked box is absent, a checked one 'yes', an unchosen score empty."""
    out = dict(values)
    if isinstance(out.get("may_contact"), str):
        out["may_contact"] = out["may_contact"].lower() in ("yes", "on", "true", "1")
    if out.get("score") == "":
        out.pop("score")
    return out

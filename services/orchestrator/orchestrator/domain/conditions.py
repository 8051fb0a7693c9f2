"""Step conditions: a small, safe language over the journey's facts, written as data in templates.

    when: {fact: marketing_consent, equals: true}
    when: {any: [{fact: survey.score, lte: 6}, {fact: survey.reason, in: [poor_support, bugs]}]}
    when: {not: {fact: survey.answered, equals: true}}

Facts are the cancellation event's fields (`segment`, `initiated_by`, `reason`, `plan`, `marketing_consent`,
`locale`...) and the exit-survey answer (`survey.answered`, `survey.score`, `survey.reason`,
`survey.may_contact`). Evaluation is three-valued: a fact not known yet (a survey answer before the survey
ended) makes a test "unknown" (None), so a step is only skipped early when its condition is surely false.
"""

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Tri = bool | None  # True, False, or not known yet

COMPARISONS = ("equals", "not_equals", "in", "lt", "lte", "gt", "gte")
FACTS = frozenset(
    {
        "segment",
        "initiated_by",
        "reason",
        "plan",
        "marketing_consent",
        "locale",
        "timezone",
        "survey.answered",
        "survey.score",
        "survey.reason",
        "survey.may_contact",
    }
)


class Condition(BaseModel):
    """One node: a comparison on a fact, or all/any/not of other nodes."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    fact: str | None = None
    equals: Any = None
    not_equals: Any = None
    in_: list[Any] | None = Field(None, alias="in")
    lt: float | None = None
    lte: float | None = None
    gt: float | None = None
    gte: float | None = None
    all: list["Condition"] | None = None
    any: list["Condition"] | None = None
    not_: "Condition | None" = Field(None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> "Condition":
        set_fields = {name for name in self.model_fields_set}
        combinators = set_fields & {"all", "any", "not_"}
        comparisons = set_fields & {"equals", "not_equals", "in_", "lt", "lte", "gt", "gte"}
        if combinators:
            if len(combinators) > 1 or self.fact is not None or comparisons:
                raise ValueError("a condition is either one of all/any/not, or a fact with one comparison")
            return self
        if self.fact is None:
            raise ValueError("a condition needs `fact` (or all/any/not)")
        if self.fact not in FACTS:
            raise ValueError(f"unknown fact {self.fact!r}; known: {', '.join(sorted(FACTS))}")
        if len(comparisons) != 1:
            raise ValueError(f"fact {self.fact!r} needs exactly one of: {', '.join(COMPARISONS)}")
        return self

    def evaluate(self, facts: Mapping[str, Any], known: frozenset[str] | set[str]) -> Tri:
        """True/False, or None when it depends on a fact not in `known`."""
        if self.all is not None:
            return _all(c.evaluate(facts, known) for c in self.all)
        if self.any is not None:
            return _any(c.evaluate(facts, known) for c in self.any)
        if self.not_ is not None:
            inner = self.not_.evaluate(facts, known)
            return None if inner is None else not inner
        assert self.fact is not None
        if self.fact not in known:
            return None
        return self._compare(facts.get(self.fact))

    def facts(self) -> set[str]:
        """Every fact this condition reads."""
        found = {self.fact} if self.fact else set()
        for child in (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else []):
            found |= child.facts()
        return found

    def _compare(self, value: Any) -> bool:
        fields = self.model_fields_set
        if "equals" in fields:
            return value == self.equals
        if "not_equals" in fields:
            return value != self.not_equals
        if "in_" in fields:
            return value in (self.in_ or [])
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            return False  # an absent or non-numeric value fails every numeric comparison
        bound: Literal["lt", "lte", "gt", "gte"] = next(iter(fields & {"lt", "lte", "gt", "gte"}))  # type: ignore[assignment]
        limit = getattr(self, bound)
        return {"lt": value < limit, "lte": value <= limit, "gt": value > limit, "gte": value >= limit}[bound]


def _all(results) -> Tri:
    outcome: Tri = True
    for r in results:
        if r is False:
            return False
        if r is None:
            outcome = None
    return outcome


def _any(results) -> Tri:
    outcome: Tri = False
    for r in results:
        if r is True:
            return True
        if r is None:
            outcome = None
    return outcome

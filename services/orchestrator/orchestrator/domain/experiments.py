"""Experiments in a template: variants with weights (two wordings or timings of a step, or a holdout that leaves
a step out), one assigned to each subscription for good, and a winner once the experiment is ended.

    experiment:
      name: win-back-timing
      variants:
        - {name: control, weight: 50}
        - name: early
          weight: 40
          steps: {win_back_offer: {at: {anchor: effective_at, offset: P7D}}}
        - {name: holdout, weight: 10, steps: {win_back_offer: {skip: true}}}
      winner: null            # set to a variant's name to end the experiment: new journeys all get it

Assignment hashes the experiment's name with the subscription id: the same subscription always gets the same
variant, different experiments split independently, and no state is kept to know it.
"""

import hashlib

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orchestrator.domain.conditions import Condition

NAME = r"^[a-z][a-z0-9_-]{0,39}$"


class StepChange(BaseModel):
    """What a variant changes in one step of the template: leaves it out, or sends another message, at another
    moment, under another condition."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    skip: bool = False
    message: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{1,62}$")
    at: dict | None = None  # a Timing, validated with the step it changes
    when: Condition | None = None


class Variant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=NAME)
    weight: int = Field(ge=1, le=10_000)
    steps: dict[str, StepChange] = Field(default_factory=dict)


class Experiment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=NAME)
    variants: list[Variant] = Field(min_length=2, max_length=10)
    winner: str | None = None

    @model_validator(mode="after")
    def _names(self) -> "Experiment":
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError("two variants have the same name")
        if self.winner is not None and self.winner not in names:
            raise ValueError(f"winner {self.winner!r} is not one of the variants: {', '.join(names)}")
        return self

    def assign(self, subscription_id: str) -> Variant:
        """The subscription's variant: stable, in proportion to the weights; the winner once there is one."""
        if self.winner is not None:
            return next(v for v in self.variants if v.name == self.winner)
        digest = hashlib.sha256(f"{self.name}:{subscription_id}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") % sum(v.weight for v in self.variants)
        for variant in self.variants:
            if point < variant.weight:
                return variant
            point -= variant.weight
        raise AssertionError("unreachable: the point lies below the total weight")

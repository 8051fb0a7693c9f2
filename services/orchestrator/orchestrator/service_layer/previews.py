"""The author's preview: the journey a cancellation would get (template, rule, every step with its due time,
run or skip and why) and each email as the customer would receive it. Nothing is stored or sent: the journey
runs on a simulated clock (domain/preview.py) and the notifier only renders the commands it would get."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orchestrator.adapters.peers import Peers
from orchestrator.domain.effects import Dispatch
from orchestrator.domain.journey import Journey
from orchestrator.domain.policy import RetryPolicy
from orchestrator.domain.preview import simulate
from orchestrator.domain.templates import Catalogue, Template
from orchestrator.service_layer.messages import Topics, preview_command
from shared.events.subscription import SubscriptionCancelled

SURVEY_LINK = "/s/preview"  # the exit survey's link in a preview: no survey exists


class UnknownTemplate(LookupError):
    pass


@dataclass
class Previews:
    catalogue: Catalogue
    policy: RetryPolicy
    topics: Topics
    peers: Peers
    survey_url: str
    page_base: str
    clock: Callable[[], datetime]

    def choose(self, facts: dict[str, Any], name: str | None, version: int | None) -> tuple[Template, str]:
        """The template and why: the selection rule that chose it, or the author's request."""
        if name is None:
            template, number = self.catalogue.choose_by_rule(facts)
            rule = self.catalogue.selection.rules[number - 1]
            when = json.dumps(rule.when.model_dump(by_alias=True, exclude_none=True)) if rule.when else None
            return template, f"selection.yaml rule {number}: " + (f"{when} holds" if when else "the default")
        versions = self.catalogue.versions(name)
        if not versions or (version is not None and version not in versions):
            known = ", ".join(f"{n} {self.catalogue.versions(n)}" for n in self.catalogue.names())
            raise UnknownTemplate(f"no template {name!r}{f' version {version}' if version else ''}; there are: {known}")
        chosen = version or versions[-1]
        return self.catalogue.version(name, chosen), f"asked for: {name} version {chosen}"

    async def preview(
        self,
        cancelled: SubscriptionCancelled,
        *,
        template: str | None = None,
        version: int | None = None,
        survey: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        facts = cancelled.model_dump(mode="json") | {"segment": cancelled.customer.segment, "page_token": "preview"}
        chosen, why = self.choose(facts, template, version)
        commands: dict[str, dict] = {}

        def on_dispatch(journey: Journey, dispatch: Dispatch) -> dict[str, Any]:
            step = journey.step(dispatch.step)
            if step.spec.kind == "survey":
                return {"survey_url": self.survey_url.rstrip("/") + SURVEY_LINK}
            if step.spec.kind == "notify" and step.spec.channel == "email":
                commands[dispatch.step] = preview_command(journey, dispatch, page_base=self.page_base)
            return {}

        now = self.clock()
        steps = simulate(
            chosen,
            facts,
            journey_id=uuid.uuid4(),
            cancelled_at=cancelled.cancelled_at,
            effective_at=cancelled.effective_at,
            now=now,
            policy=self.policy,
            survey=survey,
            on_dispatch=on_dispatch,
        )
        rendered, problems = await self._render(commands)
        variant = chosen.variant_for(cancelled.subscription_id)
        return {
            "template": chosen.name,
            "template_version": chosen.version,
            "variant": variant.name if variant else None,
            "selection": why,
            "started_at": now,
            "survey": survey,
            "steps": [
                {
                    "name": s.name,
                    "kind": s.kind,
                    "due_at": s.due_at,
                    "would": s.would,
                    "why": s.why,
                    "message": rendered.get(s.name),
                }
                for s in steps
            ],
            "problems": problems,
        }

    async def _render(self, commands: dict[str, dict]) -> tuple[dict[str, dict], list[str]]:
        if not commands:
            return {}, []
        answers = await self.peers.render(list(commands.values()))
        if answers is None:
            return {}, ["the messages are not shown: the notifier did not answer"]
        rendered, problems = {}, []
        for step, answer in zip(commands, answers, strict=True):
            if answer.get("problem"):
                problems.append(f"step {step}: {answer['problem']}")
            else:
                rendered[step] = {k: answer[k] for k in ("subject", "text", "html", "locale")}
        return rendered, problems

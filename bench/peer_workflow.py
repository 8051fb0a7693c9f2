"""The peer's workflow (bench/peer.py): one cancellation's confirmation and survey invitation, each an activity
that renders and sends an email, then a durable timer (where the access-ended notice would follow). Kept apart
from the activities: Temporal re-imports a workflow's module in its sandbox, and this one imports nothing else."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

MESSAGES = ("cancellation_confirmation", "exit_survey_invitation")  # as bench/peer_email.py: no import here


@workflow.defn(name="Offboard")
class Offboard:
    @workflow.run
    async def run(self, cancellation: dict) -> None:
        for message in MESSAGES:
            await workflow.execute_activity(
                "send_email",
                {**cancellation, "message": message},
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=RetryPolicy(maximum_attempts=5),
            )
        await workflow.sleep(timedelta(days=30))

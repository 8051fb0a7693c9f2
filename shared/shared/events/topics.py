"""Default names of the public topics (contract sections 1 and 2); each is configurable per service."""

SUBSCRIPTION_CANCELLED = "subscription.cancelled"
SUBSCRIPTION_REACTIVATED = "subscription.reactivated"
JOURNEY_EVENTS = "offboarding.journey.events"
SURVEY_RESPONSES = "survey.responses"

DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    """Where messages from `topic` that cannot be processed are kept, unchanged."""
    return topic + DLQ_SUFFIX

"""A batch of create-survey commands goes in rounds with one command per journey each: one statement cannot
change a row twice, and the last command for a journey must be the one whose link works."""

from shared.events.commands import CreateSurvey
from survey.service_layer.handlers import _one_per_journey


def command(journey: str) -> CreateSurvey:
    return CreateSurvey(
        journey_id=journey,
        subscription_id=f"sub_{journey}",
        customer_id="cus_1",
        step="exit_survey",
        attempt=1,
        segment="b2c",
    )


def test_repeats_of_a_journey_go_in_later_rounds_in_their_order():
    batch = [("c1", command("j1")), ("c2", command("j2")), ("c3", command("j1")), ("c4", command("j1"))]
    rounds = _one_per_journey(batch)
    assert [[cid for cid, _ in r] for r in rounds] == [["c1", "c2"], ["c3"], ["c4"]]


def test_a_batch_without_repeats_is_one_round():
    batch = [(f"c{i}", command(f"j{i}")) for i in range(50)]
    assert _one_per_journey(batch) == [batch]

"""The orchestrator service: starts and drives off-boarding journeys from billing events; the support staff's API."""

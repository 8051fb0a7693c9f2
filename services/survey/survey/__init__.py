"""The survey service: serves the exit survey, records answers, reports churn insights."""

"""The service layer: handlers that take one message or request, change journeys and queue what goes out."""

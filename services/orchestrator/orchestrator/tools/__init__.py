"""Command-line tools for operators: publish sample events, re-drive dead letters."""

"""What the three off-boarding services share."""

"""The journey rules: templates, conditions and the journey state machine. Pure code, no I/O."""

"""The notifier's rules: who may get which message when. Pure code, no I/O."""

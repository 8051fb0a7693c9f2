"""The survey's rules: what an answer may contain, what counts as unhappy, how links are made. No I/O."""

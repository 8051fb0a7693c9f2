"""The survey's service layer: create surveys on command, record answers, forget free text on erasure."""

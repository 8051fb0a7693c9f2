"""A problem the template check found: where it is and what the author should do."""

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int | None
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 1}: {self.problem}. Fix: {self.fix}."

"""The digest a committed render was made from: SHA-256 over the chart's files and the values file used. The test
(tests/deploy/test_helm.py) recomputes it, so a chart changed without `make lint-deploy` fails CI.

    python deploy/helm/digest.py [VALUES_FILE]
    python deploy/helm/digest.py --readme      # what the chart's README.md was made from
"""

import hashlib
import sys
from pathlib import Path

CHART = Path(__file__).resolve().parent / "offboarding"


def digest(values: Path | None = None) -> str:
    sha = hashlib.sha256()
    files = sorted(p for p in CHART.rglob("*") if p.is_file()) + ([values] if values else [])
    for path in files:
        sha.update(str(path.relative_to(CHART.parent)).encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def readme_digest() -> str:
    """What the chart's README (made by helm-docs) is made from: the values file and the README's template."""
    sha = hashlib.sha256()
    for name in ("values.yaml", "README.md.gotmpl", "Chart.yaml"):
        sha.update(name.encode() + b"\0" + (CHART / name).read_bytes() + b"\0")
    return sha.hexdigest()


if __name__ == "__main__":
    if sys.argv[1:] == ["--readme"]:
        print(readme_digest())
    else:
        print(digest(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else None))

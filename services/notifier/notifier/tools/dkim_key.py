"""`python -m notifier dkim-key --out PATH`: writes a new 2048-bit RSA key there (mode 600) unless one exists,
and prints the path: what `make run` does for its development key under .local/. A production key is yours
to make and keep in a secret (docs/deliverability.md)."""

import argparse
import os
from pathlib import Path

from notifier.adapters.dkim_signing import new_private_key_pem


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m notifier dkim-key", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    out = parser.parse_args(argv).out
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(new_private_key_pem())
    print(out)

"""SHA-256 of a file's content, read in 1 MiB blocks (a delivery can be gigabytes): the address a delivery is
archived under, what the landing sensors compare, and what the publication manifest records."""

import hashlib
from pathlib import Path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

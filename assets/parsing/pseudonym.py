"""Keyed pseudonyms for citizen IDs and G-codes: HMAC-SHA256 (RFC 2104) under a secret key kept outside
the repository.

The same key gives the same pseudonym every year, so students can be followed across years without the raw
ID ever entering the warehouse. Without the key the pseudonyms cannot be reversed by hashing all 13-digit IDs.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

from assets.parsing.ids import normalise_person_id, normalise_person_id_series

KEY_ENV = "EDUSANDBOX_PSEUDONYM_KEY"
KEY_FILE_ENV = "EDUSANDBOX_PSEUDONYM_KEY_FILE"
MIN_KEY_BYTES = 16
PSEUDONYM_HEX_CHARS = 32  # 128 bits: collisions are negligible even over tens of millions of people


class PseudonymKeyError(RuntimeError):
    """No usable pseudonymisation key: the message says which variable or file to set."""


class Pseudonymiser:
    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise PseudonymKeyError(
                f"pseudonymisation key is {len(key)} bytes; at least {MIN_KEY_BYTES} are required"
            )
        self._key = bytes(key)
        # RFC 2104 HMAC with the padded-key hash states computed once: copying them per ID is about twice
        # as fast as hmac.new() per ID, which matters over millions of students (tests compare with hmac).
        block_key = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block_key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block_key))

    def __repr__(self) -> str:  # never print the key
        return "Pseudonymiser(<key hidden>)"

    def key_for(self, person_id: str) -> str:
        """Hex HMAC-SHA256 of the normalised ID, truncated to 32 hex characters."""
        return self._hash_normalised(normalise_person_id(person_id))

    def keys_for(self, s: pd.Series) -> pd.Series:
        """Vectorised key_for: each distinct ID hashed once; missing stays missing."""
        return self.keys_for_normalised(normalise_person_id_series(s))

    def keys_for_normalised(self, ids: pd.Series, distinct: bool = False) -> pd.Series:
        """keys_for for IDs already through normalise_person_id_series. `distinct`: the IDs are (nearly all)
        distinct already, so each is hashed as it is: finding the few repeats would cost more than they do."""
        if distinct:
            # over a numpy array: iterating a Series costs a quarter more per ID, over millions of them
            each = [None if pid is None or pid != pid else self._hash_normalised(pid)  # pid != pid: NaN
                    for pid in ids.to_numpy(dtype=object)]
            return pd.Series(each, index=ids.index, dtype="str")
        codes, uniques = pd.factorize(ids)
        hashed = np.array([self._hash_normalised(pid) for pid in uniques] + [None], dtype=object)
        return pd.Series(hashed[codes], index=ids.index, dtype="str")  # code -1 (missing) picks the None

    def _hash_normalised(self, normalised: str) -> str:
        inner = self._inner.copy()
        inner.update(normalised.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:PSEUDONYM_HEX_CHARS]


def default_key_file() -> Path:
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "edusandbox" / "pseudonym.key"


def _key_from_text(text: str) -> bytes:
    """Hex is decoded (what create_if_missing writes); any other text is used as UTF-8 bytes."""
    stripped = text.strip()
    try:
        return bytes.fromhex(stripped) if stripped else b""
    except ValueError:
        return stripped.encode("utf-8")


def _checked(key: bytes, source: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(
            f"pseudonymisation key from {source} is {len(key)} bytes; at least {MIN_KEY_BYTES} are required "
            f"(e.g. 64 hex characters from `python -c 'import secrets; print(secrets.token_hex(32))'`)"
        )
    return key


def load_pseudonym_key(create_if_missing: bool = False) -> bytes:
    """The key: $EDUSANDBOX_PSEUDONYM_KEY, else the file at $EDUSANDBOX_PSEUDONYM_KEY_FILE, else
    $XDG_CONFIG_HOME/edusandbox/pseudonym.key (default ~/.config/...), all outside the repository.

    With create_if_missing, a missing default key file is created with 32 random bytes (hex, mode 0600).
    """
    if value := os.environ.get(KEY_ENV):
        return _checked(_key_from_text(value), f"${KEY_ENV}")
    explicit = os.environ.get(KEY_FILE_ENV)
    path = Path(explicit).expanduser() if explicit else default_key_file()
    if path.is_file():
        return _checked(_key_from_text(path.read_text(encoding="utf-8")), str(path))
    if create_if_missing:
        try:
            return _create_key_file(path)
        except FileExistsError:  # another process created it first: use theirs
            return _checked(_key_from_text(path.read_text(encoding="utf-8")), str(path))
    raise PseudonymKeyError(
        f"no pseudonymisation key: set ${KEY_ENV} (hex or text, ≥ {MIN_KEY_BYTES} bytes), or ${KEY_FILE_ENV} "
        f"to a key file, or create {path} (keep the key outside the repository and back it up: pseudonyms "
        f"made with another key will not match)"
    )


def _create_key_file(path: Path) -> bytes:
    key = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_EXCL: never overwrite a key another process created meanwhile; 0600 from the start, not chmod later.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key.hex() + "\n")
    return key

"""Pseudonyms: HMAC-SHA256 under a secret key; the key is loaded from env or a file outside the repository."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assets.parsing import Pseudonymiser, PseudonymKeyError, load_pseudonym_key
from assets.parsing.pseudonym import KEY_ENV, KEY_FILE_ENV

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))
CITIZEN_ID = "1101700203450"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No key in the environment, and a private XDG_CONFIG_HOME so the user's real key is never touched."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config


def test_key_for_is_truncated_hmac_sha256_of_the_normalised_id() -> None:
    expected = hmac.new(KEY_A, CITIZEN_ID.encode(), hashlib.sha256).hexdigest()[:32]
    assert Pseudonymiser(KEY_A).key_for(CITIZEN_ID) == expected


@given(st.text(max_size=40), st.binary(min_size=16, max_size=100))
def test_precomputed_hmac_state_matches_the_standard_library(value: str, key: bytes) -> None:
    # keys longer than the 64-byte SHA-256 block are hashed first: the property covers both branches
    pseudonymiser = Pseudonymiser(key)
    normalised = value.replace("g", "G")
    expected = hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()[:32]
    assert pseudonymiser._hash_normalised(normalised) == expected


def test_same_key_same_pseudonym_whatever_the_spelling() -> None:
    first, second = Pseudonymiser(KEY_A), Pseudonymiser(bytes(KEY_A))
    assert first.key_for(CITIZEN_ID) == second.key_for(CITIZEN_ID)
    assert first.key_for("1-1017-00203-45-0") == first.key_for(CITIZEN_ID)
    assert first.key_for("๑๑๐๑๗๐๐๒๐๓๔๕๐") == first.key_for(CITIZEN_ID)
    assert first.key_for("g123456789012") == first.key_for("G123456789012")


def test_different_key_different_pseudonym() -> None:
    assert Pseudonymiser(KEY_A).key_for(CITIZEN_ID) != Pseudonymiser(KEY_B).key_for(CITIZEN_ID)


def test_different_ids_different_pseudonyms() -> None:
    pseudonymiser = Pseudonymiser(KEY_A)
    assert pseudonymiser.key_for("1101700203450") != pseudonymiser.key_for("3100500123458")


def test_short_keys_are_refused() -> None:
    with pytest.raises(PseudonymKeyError, match="at least 16"):
        Pseudonymiser(b"too short")


def test_repr_hides_the_key() -> None:
    assert KEY_A.hex() not in repr(Pseudonymiser(KEY_A))


def test_keys_for_series_matches_key_for_and_keeps_missing() -> None:
    pseudonymiser = Pseudonymiser(KEY_A)
    raw = pd.Series(["1-1017-00203-45-0", None, CITIZEN_ID, "G123456789012", ""], index=list("abcde"),
                    dtype=object)
    keys = pseudonymiser.keys_for(raw)
    assert keys.index.tolist() == list("abcde")
    assert keys["a"] == keys["c"] == pseudonymiser.key_for(CITIZEN_ID)
    assert keys["d"] == pseudonymiser.key_for("G123456789012")
    assert pd.isna(keys["b"]) and pd.isna(keys["e"])
    assert all(len(k) == 32 for k in keys.dropna())


PERSON_IDS = ["1-1017-00203-45-0", None, CITIZEN_ID, "G123456789012", "g123456789012", "", "-",
              "๑๑๐๑๗๐๐๒๐๓๔๕๐", "0123456789012", "1101700203451", "abc", "1101700203450.0", " 1101700203450 "]


def test_distinct_ids_hashed_each_as_they_are_give_the_same_keys() -> None:
    pseudonymiser = Pseudonymiser(KEY_A)
    from assets.parsing.ids import normalise_person_id_series

    normalised = normalise_person_id_series(pd.Series(PERSON_IDS, dtype="str"))
    each = pseudonymiser.keys_for_normalised(normalised, distinct=True)
    pd.testing.assert_series_equal(each, pseudonymiser.keys_for_normalised(normalised))
    assert each.isna().sum() == 3 and each[0] == each[2] == each[7] == each[11] == each[12]


@given(st.lists(st.sampled_from(PERSON_IDS), max_size=60))
def test_rows_judged_once_per_distinct_id_as_if_each_were_judged_alone(ids: list[str | None]) -> None:
    """An adapter judges and hashes each distinct delivered ID once (a test file repeats every student in
    several rows): every row's key, kind and reason are what judging that row alone gives."""
    from assets.contract.entities import ENTITIES
    from assets.parsing.text import DistinctValues
    from assets.sources.common import _pseudonymise, _pseudonymise_each

    pseudonymiser = Pseudonymiser(KEY_A)
    delivered = DistinctValues.of(pd.Series(ids, dtype="str", index=range(100, 100 + len(ids))))
    for entity in (ENTITIES["students"], ENTITIES["teachers"]):
        rows = [judged.rows() for judged in _pseudonymise(delivered, entity, pseudonymiser)]
        assert all(r.index.tolist() == list(range(len(ids))) for r in rows)
        for position, value in enumerate(ids):
            alone = _pseudonymise_each(pd.Series([value], dtype="str"), entity, pseudonymiser)
            for judged, expected in zip(rows, alone, strict=True):
                got, want = judged.iloc[position], expected.iloc[0]
                assert (pd.isna(got) and pd.isna(want)) or got == want, (value, entity.name, got, want)


def test_each_distinct_id_is_hashed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from assets.contract.entities import ENTITIES
    from assets.parsing.text import DistinctValues
    from assets.sources.common import _pseudonymise

    pseudonymiser = Pseudonymiser(KEY_A)
    hashed: list[str] = []
    hash_one = Pseudonymiser._hash_normalised
    monkeypatch.setattr(Pseudonymiser, "_hash_normalised",
                        lambda self, pid: hashed.append(pid) or hash_one(self, pid))
    delivered = pd.Series([CITIZEN_ID, None, CITIZEN_ID, "G123456789012"] * 1000, dtype="str")
    keys, _, reasons, _ = (judged.rows() for judged in
                        _pseudonymise(DistinctValues.of(delivered), ENTITIES["students"], pseudonymiser))
    assert sorted(hashed) == sorted([CITIZEN_ID, "G123456789012"])
    assert keys[0] == keys[4000 - 2] == pseudonymiser.key_for(CITIZEN_ID) and pd.isna(keys[1])
    assert reasons[1] == "person_id: missing" and reasons.notna().sum() == 1000


def test_key_from_hex_environment_variable(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY_A.hex())
    assert load_pseudonym_key() == KEY_A


def test_key_from_plain_text_environment_variable(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "a passphrase of 24 bytes")
    assert load_pseudonym_key() == b"a passphrase of 24 bytes"


def test_short_environment_key_is_refused(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(PseudonymKeyError, match=KEY_ENV):
        load_pseudonym_key()


def test_key_from_explicit_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key_file = tmp_path / "my.key"
    key_file.write_text(KEY_B.hex() + "\n")
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    assert load_pseudonym_key() == KEY_B


def test_environment_wins_over_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key_file = tmp_path / "my.key"
    key_file.write_text(KEY_B.hex())
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    monkeypatch.setenv(KEY_ENV, KEY_A.hex())
    assert load_pseudonym_key() == KEY_A


def test_missing_key_error_names_the_variable(clean_env: Path) -> None:
    with pytest.raises(PseudonymKeyError, match=KEY_ENV):
        load_pseudonym_key()
    assert not (clean_env / "edusandbox" / "pseudonym.key").exists()


def test_key_file_is_created_private_and_reused(clean_env: Path) -> None:
    key = load_pseudonym_key(create_if_missing=True)
    key_file = clean_env / "edusandbox" / "pseudonym.key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key) == 32
    assert bytes.fromhex(key_file.read_text().strip()) == key
    assert load_pseudonym_key() == key  # read back, not regenerated
    assert load_pseudonym_key(create_if_missing=True) == key


def test_default_location_without_xdg_is_home_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    key = load_pseudonym_key(create_if_missing=True)
    assert (tmp_path / ".config" / "edusandbox" / "pseudonym.key").is_file()
    assert load_pseudonym_key() == key

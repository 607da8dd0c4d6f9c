"""The adapter registry, read_delivery's guards and discover_deliveries' safe path resolution."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assets.contract.landing import SOURCE_FILES
from assets.sources import adapter_for, discover_deliveries, read_delivery
from assets.sources.base import DeliveryError
from tests.fixtures.deliveries.builders import citizen_id, pseudonymiser, spec, write_csv, write_jsonl


def test_every_province_in_the_landing_contract_has_an_adapter() -> None:
    for province in {s.province for s in SOURCE_FILES}:
        assert adapter_for(province).province == province
    with pytest.raises(KeyError, match="bangkok"):
        adapter_for("bangkok")


def test_source_of_another_province_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "students.csv", spec("satun", "students"), [])
    with pytest.raises(DeliveryError, match="is a satun source, not yala"):
        read_delivery(
            spec("satun", "students"),
            path,
            province="yala",
            academic_year=2566,
            pseudonymiser=pseudonymiser(),
        )


def test_discover_lists_contract_files_with_agencies(tmp_path: Path) -> None:
    folder = tmp_path / "yala" / "2566"
    students = spec("yala", "students")
    for agency in ("obec", "lao"):
        write_jsonl(folder / f"students_{agency}.jsonl", students, [dict(person_id=citizen_id(1))])
    write_jsonl(folder / "schools.jsonl", spec("yala", "schools"), [dict(school_id="1095010001")])
    (folder / "notes.txt").write_text("not a delivery", encoding="utf-8")

    found = discover_deliveries(tmp_path, "yala", 2566)

    assert [(s.entity, p.name, a) for s, p, a in found] == [
        ("schools", "schools.jsonl", None),
        ("students", "students_obec.jsonl", "obec"),
        ("students", "students_lao.jsonl", "lao"),
    ]
    assert discover_deliveries(tmp_path, "yala", 2565) == []


def test_symlink_inside_landing_is_followed(tmp_path: Path) -> None:
    folder = tmp_path / "satun" / "2566"
    real = write_csv(tmp_path / "archive" / "students.csv", spec("satun", "students"), [])
    folder.mkdir(parents=True)
    os.symlink(real, folder / "students.csv")
    assert [p.name for _, p, _ in discover_deliveries(tmp_path, "satun", 2566)] == ["students.csv"]


def test_symlink_outside_landing_is_refused(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    folder = landing / "satun" / "2566"
    folder.mkdir(parents=True)
    outside = write_csv(tmp_path / "elsewhere" / "students.csv", spec("satun", "students"), [])
    os.symlink(outside, folder / "students.csv")
    with pytest.raises(DeliveryError, match="outside the landing folder"):
        discover_deliveries(landing, "satun", 2566)


def test_symlinked_year_folder_outside_landing_is_refused(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "satun").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    write_csv(outside / "students.csv", spec("satun", "students"), [])
    os.symlink(outside, landing / "satun" / "2566")
    with pytest.raises(DeliveryError, match="outside the landing folder"):
        discover_deliveries(landing, "satun", 2566)


def test_path_like_province_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeliveryError, match="plain folder names"):
        discover_deliveries(tmp_path, "../satun", 2566)

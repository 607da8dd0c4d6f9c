"""The school registry of each province: real OBEC schools (when the registry file is present) plus
synthetic private, local-government and non-formal schools, placed in real districts and subdistricts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geothai
import numpy as np
import pandas as pd

from assets.contract.entities import PROVINCES
from pipelines.demo_data.config import (
    AFF_LAO,
    AFF_OBEC,
    AFF_ONIE,
    AFF_PRIVATE,
    AFFILIATION_AGENCY,
    LEVEL_GRADES,
    M1,
    M4,
    N_GRADES,
    P1,
    PROFILES,
)
from pipelines.settings import shared_data_dir

REGISTRY_FILE = Path("reference") / "obec_schools_4provinces_2022-09.csv"
OBEC_SCHOOL_COUNTS = {"mae_hong_son": 319, "sukhothai": 323, "satun": 171, "yala": 223}
"""OBEC schools per province in the September 2022 registry (used when the file is absent)."""

# Primary area offices (สพป.) → the districts they serve, by Thai district name. Offices not listed
# (single-office provinces, secondary offices, special education) serve the whole province.
AREA_DISTRICTS: dict[str, tuple[str, ...]] = {
    "สพป.แม่ฮ่องสอน เขต 1": ("เมืองแม่ฮ่องสอน", "ขุนยวม", "ปาย", "ปางมะผ้า"),
    "สพป.แม่ฮ่องสอน เขต 2": ("แม่สะเรียง", "แม่ลาน้อย", "สบเมย"),
    "สพป.สุโขทัย เขต 1": ("เมืองสุโขทัย", "บ้านด่านลานหอย", "คีรีมาศ", "กงไกรลาศ"),
    "สพป.สุโขทัย เขต 2": ("ศรีสัชนาลัย", "ศรีสำโรง", "สวรรคโลก", "ศรีนคร", "ทุ่งเสลี่ยม"),
    "สพป.ยะลา เขต 1": ("เมืองยะลา", "ยะหา", "กาบัง", "กรงปินัง"),
    "สพป.ยะลา เขต 2": ("รามัน", "บันนังสตา"),
    "สพป.ยะลา เขต 3": ("เบตง", "ธารโต"),
}

ISLAMIC_PRIVATE_NAMES = ("ดารุลอูลูม", "ดารุสสลาม", "อัลอิสลามียะห์", "ศาสนวิทยา", "จริยธรรมศึกษา",
                         "พัฒนาศาสน์", "ดารุลมาอาเรฟ", "บำรุงอิสลาม", "อิสลามวิทยา", "ประทีปศาสน์")
GENERAL_PRIVATE_NAMES = ("ดรุณศึกษา", "ปัญญาวิทยา", "วัฒนศึกษา", "พิทยาศึกษา", "อนุบาลเอกชน", "สหศึกษา")
VOCATIONAL_PRIVATE_NAME = "เทคโนโลยีบริหารธุรกิจ"
LAO_NAME = "เทศบาล"
ONIE_NAME = "ศูนย์ส่งเสริมการเรียนรู้อำเภอ"
THAI_DIGIT_CHARS = "๐๑๒๓๔๕๖๗๘๙"

LEVELS_ISLAMIC = ("อนุบาล-มัธยมศึกษาตอนปลาย", "มัธยมศึกษาตอนต้น-มัธยมศึกษาตอนปลาย", "อนุบาล-ประถมศึกษา")
LEVELS_PRIVATE = ("อนุบาล-ประถมศึกษา", "อนุบาล-มัธยมศึกษาตอนต้น", "อนุบาล-มัธยมศึกษาตอนปลาย")
LEVELS_LAO = ("อนุบาล-ประถมศึกษา", "อนุบาล-มัธยมศึกษาตอนต้น", "อนุบาล-มัธยมศึกษาตอนปลาย")
LEVELS_ONIE = "ประถมศึกษา-มัธยมศึกษาตอนปลาย"
LEVELS_VOCATIONAL = "ประกาศนียบัตรวิชาชีพ"
# Registry level mix, used only when the registry file is absent.
LEVELS_OBEC_SYNTHETIC = {"อนุบาล-ประถมศึกษา": 0.75, "อนุบาล-มัธยมศึกษาตอนต้น": 0.19,
                         "มัธยมศึกษาตอนต้น-มัธยมศึกษาตอนปลาย": 0.06}


@dataclass(frozen=True)
class District:
    code: str
    name: str
    subdistricts: tuple[str, ...]
    subdistrict_names: tuple[str, ...]


@cache
def province_districts(province_code: str) -> tuple[District, ...]:
    districts = []
    for d in sorted(geothai.districts(province_code), key=lambda x: x.code):
        subs = sorted(geothai.subdistricts(d.code), key=lambda x: x.code)
        districts.append(District(d.code, d.name_th, tuple(s.code for s in subs),
                                  tuple(s.name_th for s in subs)))
    return tuple(districts)


@dataclass
class SchoolTable:
    """One province's schools. `frame` holds the delivered fields plus helper columns (agency, weight,
    sandbox_draw, district_index); `offers` is a schools × grades boolean matrix."""

    province: str
    frame: pd.DataFrame
    offers: np.ndarray

    def __len__(self) -> int:
        return len(self.frame)

    def sandbox_members(self, year_position: float, share: tuple[float, float]) -> np.ndarray:
        """Membership in a year (0 = first demo year, 1 = last): schools join over time and stay."""
        threshold = share[0] + (share[1] - share[0]) * year_position
        return self.frame["sandbox_draw"].to_numpy() < threshold


def levels_to_offers(levels: pd.Series) -> np.ndarray:
    """'อนุบาล-มัธยมศึกษาตอนต้น' → boolean grades from K1 to M3 (ranges are contiguous in the registry)."""
    offers = np.zeros((len(levels), N_GRADES), dtype=bool)
    for i, text in enumerate(levels.tolist()):
        parts = [p.strip() for p in str(text).split("-")]
        first, last = LEVEL_GRADES[parts[0]][0], LEVEL_GRADES[parts[-1]][1]
        offers[i, first:last + 1] = True
    return offers


def read_obec_registry(province: str) -> pd.DataFrame | None:
    path = shared_data_dir() / REGISTRY_FILE
    if not path.exists():
        return None
    registry = pd.read_csv(path, dtype=str, keep_default_na=False)
    return registry[registry["school_id_10"].str[2:4] == PROVINCES[province]].reset_index(drop=True)


def mhs_agency(area_name: str) -> str:
    """Mae Hong Son's workbook has one sheet per area office (landing.MHS_SHEETS keys)."""
    if "การศึกษาพิเศษ" in area_name:
        return "special_ed"
    if area_name.startswith("สพม."):
        return "obec_secondary"
    return "obec_primary_2" if area_name.endswith("เขต 2") else "obec_primary_1"


def _place_by_name(name: str, allowed: list[int], districts: tuple[District, ...]) -> tuple[int, int] | None:
    """(district index, subdistrict index or -1) when the school name contains a district or tambon name.

    'อนุบาลละงู' lies in La-ngu, 'ขุนยวมวิทยา' in Khun Yuam: names often carry the place. Longest match wins.
    """
    best: tuple[int, int, int] | None = None  # (length, district, subdistrict)
    for di in allowed:
        d = districts[di]
        for candidate in {d.name, d.name.removeprefix("เมือง")}:
            if len(candidate) >= 3 and candidate in name and (best is None or len(candidate) > best[0]):
                best = (len(candidate), di, -1)
        for si, sub in enumerate(d.subdistrict_names):
            if len(sub) >= 4 and sub in name and (best is None or len(sub) > best[0]):
                best = (len(sub), di, si)
    return None if best is None else (best[1], best[2])


def _allowed_districts(area_name: str, districts: tuple[District, ...]) -> list[int]:
    names = AREA_DISTRICTS.get(area_name)
    allowed = [i for i, d in enumerate(districts) if names is None or d.name in names]
    return allowed or list(range(len(districts)))


def _place_schools(rng: np.random.Generator, names: list[str], areas: list[str],
                   districts: tuple[District, ...], urban_bias: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """District and subdistrict index per school; unmatched schools spread in proportion to tambon counts."""
    n = len(names)
    district = np.full(n, -1)
    subdistrict = np.full(n, -1)
    sizes = np.array([len(d.subdistricts) for d in districts], dtype=float)
    sizes[0] *= urban_bias  # the first district code is always the provincial capital (อำเภอเมือง)
    placed_by_name = np.zeros(n, dtype=bool)
    for i, (name, area) in enumerate(zip(names, areas, strict=True)):
        allowed = _allowed_districts(area, districts)
        match = _place_by_name(name, allowed, districts)
        if match is not None:
            district[i], subdistrict[i] = match
            placed_by_name[i] = True
        else:
            p = sizes[allowed] / sizes[allowed].sum()
            district[i] = allowed[int(rng.choice(len(allowed), p=p))]
    for i in range(n):
        if subdistrict[i] < 0:
            subdistrict[i] = int(rng.integers(0, len(districts[district[i]].subdistricts)))
    # Every district gets schools: move an unmatched school whose area office serves an empty district.
    for di in range(len(districts)):
        if (district == di).any():
            continue
        movable = [i for i in range(n) if not placed_by_name[i]
                   and di in _allowed_districts(areas[i], districts)
                   and (district == district[i]).sum() > 1]
        if movable:
            i = movable[int(rng.integers(0, len(movable)))]
            district[i] = di
            subdistrict[i] = int(rng.integers(0, len(districts[di].subdistricts)))
    return district, subdistrict


def _unique_ids(rng: np.random.Generator, affiliation: str, province_code: str, n: int,
                taken: set[str]) -> list[str]:
    ids: list[str] = []
    for number in rng.choice(900_000, size=n + len(taken), replace=False) + 100_000:
        if len(ids) == n:
            break
        school_id = f"{affiliation}{province_code}{number:06d}"
        if school_id not in taken:
            ids.append(school_id)
    return ids


def _thai_number(n: int) -> str:
    return "".join(THAI_DIGIT_CHARS[int(c)] for c in str(n))


def _obec_frame(rng: np.random.Generator, province: str, districts: tuple[District, ...]) -> pd.DataFrame:
    """Real OBEC schools from the registry, or (file absent) synthetic ones in the same number."""
    registry = read_obec_registry(province)
    code = PROVINCES[province]
    if registry is not None and len(registry):
        frame = pd.DataFrame({
            "school_id": registry["school_id_10"], "school_name": registry["school_name"],
            "area_code": registry["area_code"], "area_name": registry["area_name"],
            "levels_offered": registry["levels_offered"],
        })
    else:
        n = OBEC_SCHOOL_COUNTS[province]
        levels = rng.choice(list(LEVELS_OBEC_SYNTHETIC), size=n, p=list(LEVELS_OBEC_SYNTHETIC.values()))
        primary_areas = [a for a in AREA_DISTRICTS if a.startswith(f"สพป.{_province_th(province)}")]
        primary_areas = primary_areas or [f"สพป.{_province_th(province)}"]
        secondary = np.char.startswith(levels.astype(str), "มัธยม")
        areas = np.where(secondary, f"สพม.{_province_th(province)}",
                         np.array(primary_areas)[rng.integers(0, len(primary_areas), n)])
        ids = _unique_ids(rng, AFF_OBEC, code, n, set())
        frame = pd.DataFrame({"school_id": ids, "school_name": "", "area_code": "", "area_name": areas,
                              "levels_offered": levels})
        frame["area_code"] = [f"{code}{sorted(set(areas)).index(a) + 1:02d}" for a in areas]
    district, subdistrict = _place_schools(rng, frame["school_name"].tolist(), frame["area_name"].tolist(),
                                           districts)
    if (frame["school_name"] == "").any():
        frame["school_name"] = [f"บ้าน{districts[d].subdistrict_names[s]}"
                                + (f" {_thai_number(i % 7 + 1)}" if i % 3 == 0 else "")
                                for i, (d, s) in enumerate(zip(district, subdistrict, strict=True))]
    frame["affiliation"] = AFF_OBEC
    frame["agency"] = [mhs_agency(a) for a in frame["area_name"]] if province == "mae_hong_son" else "obec"
    frame["district_index"] = district
    frame["subdistrict_index"] = subdistrict
    frame["islamic"] = False
    return frame


def _province_th(province: str) -> str:
    return geothai.province(PROVINCES[province]).name_th


def _synthetic_frame(rng: np.random.Generator, province: str, districts: tuple[District, ...],
                     taken: set[str]) -> pd.DataFrame:
    """Private (incl. Islamic and vocational), local-government and one non-formal centre per district."""
    profile = PROFILES[province]
    code = PROVINCES[province]
    rows: list[dict[str, object]] = []
    n_private = profile.synthetic_schools.get(AFF_PRIVATE, 0)
    n_vocational = 2 if n_private else 0
    n_islamic = round((n_private - n_vocational) * profile.islamic_private_share)
    sizes = np.array([len(d.subdistricts) for d in districts], dtype=float)

    def place(bias: float) -> tuple[int, int]:
        p = sizes * np.r_[bias, np.ones(len(sizes) - 1)]
        di = int(rng.choice(len(districts), p=p / p.sum()))
        return di, int(rng.integers(0, len(districts[di].subdistricts)))

    for i in range(n_private):
        di, si = place(3.0)
        tambon = districts[di].subdistrict_names[si]
        if i < n_vocational:
            name, levels, islamic = VOCATIONAL_PRIVATE_NAME + districts[di].name.removeprefix("เมือง"), \
                LEVELS_VOCATIONAL, False
        elif i < n_vocational + n_islamic:
            name = f"{ISLAMIC_PRIVATE_NAMES[i % len(ISLAMIC_PRIVATE_NAMES)]} {tambon}"
            levels = str(rng.choice(LEVELS_ISLAMIC, p=[0.4, 0.5, 0.1]))
            islamic = True
        else:
            name = f"{GENERAL_PRIVATE_NAMES[i % len(GENERAL_PRIVATE_NAMES)]}{tambon}"
            levels = str(rng.choice(LEVELS_PRIVATE, p=[0.6, 0.25, 0.15]))
            islamic = False
        rows.append({"affiliation": AFF_PRIVATE, "school_name": name, "levels_offered": levels,
                     "district_index": di, "subdistrict_index": si, "islamic": islamic})
    for i in range(profile.synthetic_schools.get(AFF_LAO, 0)):
        di, si = place(4.0)
        name = f"{LAO_NAME} {_thai_number(i + 1)} ({districts[di].subdistrict_names[si]})"
        rows.append({"affiliation": AFF_LAO, "school_name": name,
                     "levels_offered": str(rng.choice(LEVELS_LAO, p=[0.6, 0.2, 0.2])),
                     "district_index": di, "subdistrict_index": si, "islamic": False})
    for di, d in enumerate(districts):
        rows.append({"affiliation": AFF_ONIE, "school_name": ONIE_NAME + d.name,
                     "levels_offered": LEVELS_ONIE, "district_index": di, "subdistrict_index": 0,
                     "islamic": False})
    frame = pd.DataFrame(rows)
    ids: list[str] = []
    for affiliation in (AFF_PRIVATE, AFF_LAO, AFF_ONIE):
        n = int((frame["affiliation"] == affiliation).sum())
        new = _unique_ids(rng, affiliation, code, n, taken)
        taken.update(new)
        ids.extend(new)
    frame["school_id"] = ids  # rows are already grouped by affiliation in this order
    frame["area_code"] = None
    frame["area_name"] = ""
    if province == "mae_hong_son":
        frame["agency"] = "onie"
    else:
        frame["agency"] = frame["affiliation"].map(AFFILIATION_AGENCY)
    return frame


# Relative school size: secondary schools are large, extended-opportunity (K–M3) schools a bit larger,
# Islamic private schools in the deep south are large boarding/day schools.
def _size_weights(rng: np.random.Generator, frame: pd.DataFrame, offers: np.ndarray) -> np.ndarray:
    weight = rng.lognormal(0.0, 0.75, len(frame))
    primary = offers[:, P1]
    secondary_only = offers[:, M4] & ~primary
    weight *= np.where(secondary_only, 7.0, 1.0)
    weight *= np.where(primary & offers[:, M1], 1.4, 1.0)
    weight *= np.where(frame["islamic"].to_numpy(dtype=bool), 2.5, 1.0)
    weight *= np.where(frame["affiliation"].to_numpy() == AFF_LAO, 2.0, 1.0)
    return weight


def build_schools(rng: np.random.Generator, province: str) -> SchoolTable:
    districts = province_districts(PROVINCES[province])
    obec = _obec_frame(rng, province, districts)
    synthetic = _synthetic_frame(rng, province, districts, set(obec["school_id"]))
    frame = pd.concat([obec, synthetic], ignore_index=True)
    frame = frame.sort_values("school_id", kind="stable").reset_index(drop=True)
    frame["district_code"] = [districts[d].code for d in frame["district_index"]]
    placed = zip(frame["district_index"], frame["subdistrict_index"], strict=True)
    frame["subdistrict_code"] = [districts[d].subdistricts[s] for d, s in placed]
    offers = levels_to_offers(frame["levels_offered"])
    frame["weight"] = _size_weights(rng, frame, offers)
    frame["sandbox_draw"] = rng.random(len(frame))
    return SchoolTable(province, frame, offers)

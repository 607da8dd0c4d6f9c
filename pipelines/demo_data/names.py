"""Plausible Thai names for demo rosters, built from short lists.

Surnames are composed from two word pieces (Thai surnames are long and almost unique per family), so a
composed name is unlikely to be anybody's. Names are delivered because real files carry them; the adapters
never load them (landing.NEVER_LOADED).
"""

from __future__ import annotations

import numpy as np

GIVEN_MALE = ("ธนากร", "ภูมิ", "กิตติพัฒน์", "ณัฐวุฒิ", "ปกรณ์", "วรเชษฐ์", "ธีรภัทร", "ศุภกร", "อนุชา",
              "พงศกร", "ชยพล", "ภานุวัฒน์", "สิทธิชัย", "นันทวัฒน์", "ปิยะพงษ์", "วีรภาพ", "เจษฎา",
              "ธนวัฒน์", "กฤษดา", "รัฐภูมิ")
GIVEN_FEMALE = ("ปิยธิดา", "ชนิดา", "กานต์ธิดา", "พิมพ์ชนก", "ณัฐธิดา", "ศิริพร", "วรัญญา", "อรอุมา",
                "สุภาวดี", "กัญญารัตน์", "ธนพร", "พัชราภา", "นภัสสร", "จิราพร", "เบญจวรรณ", "มณีรัตน์",
                "อริสา", "ปวีณา", "ขวัญใจ", "รุ่งนภา")
# Given names common among Malay-speaking Muslim families in the deep south, in Thai script.
MUSLIM_MALE = ("อับดุลเลาะ", "มูฮัมหมัด", "อิบรอฮีม", "ซุลกิฟลี", "อารีฟีน", "ฮาซัน", "ยูโซะ", "รุสลัน",
               "อัสมาน", "ฟิรดาวส์", "อิลยาส", "มะรอนิง")
MUSLIM_FEMALE = ("ฟาตีมะห์", "นูรีซัน", "ซารีฟะห์", "อามีนะห์", "รอฮานี", "นูรฮายาตี", "ไซนับ", "ฮาลีมะห์",
                 "ยามีละห์", "มารีแย", "ซูไฮลา", "อัสมะ")
# Hill-tribe families often use Karen, Shan or Lahu given names alongside Thai ones.
HILL_MALE = ("จ่อแฮ", "ส่างหม่อง", "จะแฮ", "พะโย", "ลาเต๊อะ", "จายคำ", "อาแซ", "หน่อแปะ")
HILL_FEMALE = ("หน่อเอ", "นางหอม", "มึดา", "นาคำ", "หมี่เป", "ปิ่นแก้ว", "อาบู", "เส่งพอ")

SURNAME_HEADS = ("ศรี", "แสง", "ทอง", "บุญ", "คำ", "จันทร์", "แก้ว", "สุข", "พรหม", "อินทร์", "ชัย",
                 "เพชร", "วงศ์", "ธรรม", "ใจ", "เรือง")
SURNAME_TAILS = ("สวัสดิ์", "ประเสริฐ", "มณี", "วงศ์ใหญ่", "รักษ์ไทย", "พิทักษ์", "เจริญสุข", "อุดมศักดิ์",
                 "ทองดี", "ไพศาล", "รุ่งเรือง", "บำรุง", "ศักดิ์ศรี", "นิยม", "สมบูรณ์", "กาญจนา")
MUSLIM_SURNAMES = ("สาแม", "ดือราแม", "มะแซ", "ยูโซ๊ะ", "เจ๊ะอาแซ", "บินอาแว", "หะยีดือเร๊ะ", "สะมะแอ",
                   "ลาเตะ", "กาเซ็ง", "อาลี", "หลงสะ")

NAME_GROUPS = ("thai", "muslim", "hill")
_GIVEN = {
    "thai": (GIVEN_MALE, GIVEN_FEMALE),
    "muslim": (MUSLIM_MALE, MUSLIM_FEMALE),
    "hill": (HILL_MALE, HILL_FEMALE),
}
_HILL_LANGUAGES = frozenset({"กะเหรี่ยง", "ไทใหญ่", "ลาหู่", "ลีซู", "ม้ง", "ลัวะ", "พม่า"})


def name_group_of_language(language: str) -> str:
    if language == "มลายูถิ่น":
        return "muslim"
    return "hill" if language in _HILL_LANGUAGES else "thai"


def draw_names(rng: np.random.Generator, sex: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) name arrays; sex 0 = male, 1 = female; group indexes NAME_GROUPS.

    Hill-tribe children get a Thai given name half the time, as many do at school.
    """
    n = len(sex)
    first = np.empty(n, dtype=object)
    group = np.where((group == 2) & (rng.random(n) < 0.5), 0, group)
    for g, name in enumerate(NAME_GROUPS):
        for s in (0, 1):
            rows = np.flatnonzero((group == g) & (sex == s))
            pool = np.array(_GIVEN[name][s], dtype=object)
            first[rows] = pool[rng.integers(0, len(pool), len(rows))]
    composed = np.array([h + t for h in SURNAME_HEADS for t in SURNAME_TAILS], dtype=object)
    last = composed[rng.integers(0, len(composed), n)]
    muslim = np.flatnonzero(group == 1)
    last[muslim] = np.array(MUSLIM_SURNAMES, dtype=object)[rng.integers(0, len(MUSLIM_SURNAMES), len(muslim))]
    return first, last

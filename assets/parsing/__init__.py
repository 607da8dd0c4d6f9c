"""Parsing helpers shared by every province adapter: text, encodings, Buddhist-Era dates, grades, IDs,
pseudonyms and value labels. Each Series function is vectorised and returns (values, reasons) where a value
can fail, so adapters can reject rows with a reason instead of raising."""

from assets.parsing.dates import (
    BE_OFFSET,
    THAI_MONTHS,
    be_to_ce_year,
    ce_to_be_year,
    parse_academic_year,
    parse_be_date,
    parse_be_dates_series,
    parse_be_month_series,
)
from assets.parsing.encoding import decode_delivery, detect_encoding
from assets.parsing.errors import ParseError
from assets.parsing.grades import (
    GRADE_LABELS_TH,
    SUBTOTAL_LABELS,
    is_subtotal_label,
    normalise_grade,
    normalise_grade_series,
    subtotal_label,
)
from assets.parsing.ids import (
    citizen_id_check_digit,
    classify_person_ids,
    dopa_province_codes,
    is_person_id_like_series,
    is_valid_citizen_id,
    is_valid_g_code,
    is_valid_school_id_series,
    make_citizen_id,
    normalise_person_id,
    normalise_person_id_series,
    redact_person_ids,
    redact_person_ids_series,
    school_id_parts,
)
from assets.parsing.pseudonym import Pseudonymiser, PseudonymKeyError, load_pseudonym_key
from assets.parsing.text import (
    THAI_DIGITS,
    clean_text,
    clean_text_series,
    thai_digits_to_arabic,
    thai_digits_to_arabic_series,
)
from assets.parsing.values import map_labels_series, parse_bool_series, parse_float_series, parse_int_series

__all__ = [
    "BE_OFFSET",
    "GRADE_LABELS_TH",
    "SUBTOTAL_LABELS",
    "THAI_DIGITS",
    "THAI_MONTHS",
    "ParseError",
    "PseudonymKeyError",
    "Pseudonymiser",
    "be_to_ce_year",
    "ce_to_be_year",
    "citizen_id_check_digit",
    "classify_person_ids",
    "clean_text",
    "clean_text_series",
    "decode_delivery",
    "detect_encoding",
    "dopa_province_codes",
    "is_person_id_like_series",
    "is_subtotal_label",
    "is_valid_citizen_id",
    "is_valid_g_code",
    "is_valid_school_id_series",
    "load_pseudonym_key",
    "make_citizen_id",
    "map_labels_series",
    "normalise_grade",
    "normalise_grade_series",
    "normalise_person_id",
    "normalise_person_id_series",
    "parse_academic_year",
    "parse_be_date",
    "parse_be_dates_series",
    "parse_be_month_series",
    "parse_bool_series",
    "parse_float_series",
    "parse_int_series",
    "redact_person_ids",
    "redact_person_ids_series",
    "school_id_parts",
    "subtotal_label",
    "thai_digits_to_arabic",
    "thai_digits_to_arabic_series",
]

"""Dossier code format checks, before any look-up."""

from __future__ import annotations

import datetime as dt

from nlu.text import find_dossier_codes


def is_valid_code(code: str) -> bool:
    """A code in canonical form whose date part (yymmdd) is a real date."""
    found = find_dossier_codes(code)
    if len(found) != 1 or found[0].code != code:
        return False
    date_part = code.rsplit("-", 2)[1]
    try:
        dt.date(2000 + int(date_part[:2]), int(date_part[2:4]), int(date_part[4:]))
    except ValueError:
        return False
    return True

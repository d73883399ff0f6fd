"""The status-change event that the one-stop system sends (push API, CSV)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dossiers.codes import is_valid_code
from dossiers.statuses import STATUSES
from nlu.text import find_dossier_codes
from settings import get_settings

Text200 = Annotated[str, Field(min_length=1, max_length=200)]
# The event's fields that the mirror keeps (besides status and note).
MIRROR_FIELDS = {
    "procedure_id",
    "agency",
    "received_on",
    "appointment_on",
    "supplement_deadline",
    "result_place",
    "online_result_url",
    "applicant_name",
}


class StatusEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: Annotated[str, Field(min_length=1, max_length=128)]
    dossier_code: str
    status: str
    occurred_at: dt.datetime
    procedure_id: str | None = Field(default=None, max_length=80)
    agency: Text200 | None = None
    received_on: dt.date | None = None
    appointment_on: dt.date | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None
    supplement_deadline: dt.date | None = None
    result_place: Annotated[str, Field(max_length=300)] | None = None
    online_result_url: Annotated[str, Field(max_length=500, pattern=r"^https://")] | None = None
    applicant_name: Text200 | None = None
    applicant_phone_last4: Annotated[str, Field(pattern=r"^\d{4}$")] | None = None

    @field_validator("dossier_code")
    @classmethod
    def _code(cls, value: str) -> str:
        found = find_dossier_codes(value)
        if len(found) != 1 or not is_valid_code(found[0].code):
            raise ValueError("not a dossier code (e.g. H29.22-240903-0007)")
        return found[0].code

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        if value not in STATUSES:
            raise ValueError(f"unknown status; one of {', '.join(STATUSES)}")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2024-09-03T10:00:00+07:00")
        return value


def second_factor_hash(code: str, last4: str) -> str:
    """Keyed hash of the phone's last 4 digits: 10,000 values are too few for a plain hash."""
    key = get_settings().second_factor_key.encode()
    return hmac.new(key, f"{code}:{last4}".encode(), hashlib.sha256).hexdigest()

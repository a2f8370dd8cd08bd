from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class ReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class ReviewItem(BaseModel):
    pseudonym: str
    status: str
    status_text: str
    district: str
    street: str | None
    details_submitted_at: datetime | None


class TransitionRead(BaseModel):
    pseudonym: str
    status: str
    status_text: str

"""API schemas for application windows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class WindowRead(BaseModel):
    id: int
    district: str
    year: int
    kind: str
    title: str
    opens_at: datetime
    closes_at: datetime
    scheduled_closes_at: datetime
    extended: bool
    open: bool
    section: str
    source: str
    reading: str | None


class ExtensionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    closes_at: datetime
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from allocation.scenario import REVIEW_FINDINGS

# What reviewers see: labels, not codes (§四（一）4, the material review, and §三（三）: the
# disability a placement was requested for, not confirmed by 相关职能部门).
FINDING_LABELS: dict[str, str] = {
    "empty-hukou": "空挂户（户籍地无实际居住）",
    "passage-room": "过道房",
    "basement": "地下室",
    "garage": "车库房",
    "not-actual-residence": "不符合实际居住条件",
    "material-not-submitted": "未提交审核材料",
    "disability-not-verified": "残疾资格未通过相关职能部门核验",
}
Finding = Literal[
    "empty-hukou",
    "passage-room",
    "basement",
    "garage",
    "not-actual-residence",
    "material-not-submitted",
    "disability-not-verified",
]


class ReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class FindingsSet(BaseModel):
    """The joint review's findings on one applicant (replaces any recorded before)."""

    model_config = ConfigDict(extra="forbid")
    findings: list[Finding] = Field(max_length=len(REVIEW_FINDINGS),
                                    description="联动审核发现的问题（可为空，表示未发现问题）")


class FindingsRead(BaseModel):
    pseudonym: str
    findings: list[str]
    labels: list[str]


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

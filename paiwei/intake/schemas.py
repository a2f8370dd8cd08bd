"""API schemas for intake (pydantic). Types only: the rules live in the service layer so
that each one raises its own stable error code."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from paiwei.accounts.schemas import Secret
from paiwei.db.limits import column_length
from paiwei.intake.models import Applicant, NoticeView


def _text(limit: int) -> object:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=limit)


# Each string is bounded by the column it is stored in (a longer one would be a 500 on
# PostgreSQL); tests/unit/intake/test_schema_limits.py checks every field against its column.
Text = Annotated[str, _text(column_length(Applicant.actual_address))]
ShortText = Annotated[str, _text(column_length(Applicant.child_name))]
Code = Annotated[str, _text(32)]
Token = Annotated[str, _text(column_length(NoticeView.token))]
District = Annotated[str, _text(column_length(Applicant.district))]
Street = Annotated[str, _text(column_length(Applicant.actual_street))]
Province = Annotated[str, _text(column_length(Applicant.hukou_province))]
Nationality = Annotated[str, _text(column_length(Applicant.child_nationality))]
Kind = Annotated[str, _text(column_length(Applicant.hukou_type))]
IdNumber = Annotated[str, _text(column_length(Applicant.child_id_number))]
Ethnicity = Annotated[str, _text(column_length(Applicant.ethnicity))]
Dwelling = Annotated[str, _text(column_length(Applicant.dwelling_type))]
Mobile = Annotated[str, _text(column_length(Applicant.guardian_mobile))]
Sex = Annotated[str, _text(column_length(Applicant.child_sex))]
CertificateNo = Annotated[str, _text(column_length(Applicant.property_certificate_no))]
Holder = Annotated[str, _text(column_length(Applicant.property_holder))]
CertificateType = Annotated[str, _text(column_length(Applicant.property_certificate_type))]
FamilyProperty = Annotated[str, _text(column_length(Applicant.family_property))]
Placement = Annotated[str, _text(column_length(Applicant.disability_placement))]
Category = Annotated[str, _text(32)]
MAX_CATEGORIES = 8


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoticeCreate(_In):
    district: District = Field(description="入学区代码，如 110105（朝阳区）")


class NoticeRead(BaseModel):
    notice_token: str
    shown_at: datetime
    min_read_seconds: int
    text: str


class RegistrationCreate(_In):
    """Figure 6. Every field is starred (required)."""

    district: District = Field(description="入学区（确定所在区）")
    notice_token: Token
    notice_agreed: bool = Field(description="我已认真阅读并同意该条款")
    privacy_agreed: bool = Field(description="我已阅读并同意《个人信息保护政策》")
    child_nationality: Nationality = Field(description="适龄儿童国籍，如 CHN")
    hukou_province: Province = Field(description="适龄儿童户籍所在省/自治区/特别行政区代码")
    hukou_district: District | None = Field(default=None, description="户籍在北京市时：所在区代码")
    residence_district: District = Field(description="适龄儿童居住地：北京市的区代码")
    child_name: ShortText
    child_sex: Sex = Field(description="M 男 / F 女")
    child_birth_date: Code = Field(description="出生日期，格式 YYYY-MM-DD")
    child_id_type: Kind
    child_id_number: IdNumber
    guardian_name: ShortText = Field(description="监护人（一）姓名")
    guardian_mobile: Mobile = Field(description="监护人（一）手机号")
    password: Secret
    password_confirm: Secret
    captcha_id: Token
    captcha_answer: Code
    sms_code: Code


class RegistrationRead(BaseModel):
    account_no: str
    message: str


class PropertyIn(_In):
    """房屋所有权证或不动产权证书 (§三（一）1（2）、§四（一）2、3)."""

    certificate_no: CertificateNo
    certificate_date: Code = Field(description="发证日期 YYYY-MM-DD")
    address: Text
    holder: Holder = Field(description="证书持有人（代码见 /api/enumerations/certificate_holders）")
    certificate_type: CertificateType = Field(
        description="证书类型（代码见 /api/enumerations/certificate_types）")
    for_residence: bool = Field(description="证书所载房屋即实际居住房屋")


class RentalIn(_In):
    """The tenancy (§三（一）1（3）): 连续单独承租并实际居住, 在北京市住房租赁监管平台登记备案."""

    start_date: Code = Field(description="在本区承租并实际居住的起始日期 YYYY-MM-DD")
    continuous: bool = Field(description="自起始日期起在本区连续承租并实际居住")
    sole_tenancy: bool = Field(description="单独承租（非合租）")
    registration_no: CertificateNo | None = Field(
        default=None, description="北京市住房租赁监管平台登记备案编号（未登记备案的不填）")
    registration_date: Code | None = Field(default=None, description="登记备案日期 YYYY-MM-DD")


class SchoolRecordIn(_In):
    """小学毕业年级学生的学籍所在地（初中入学时填写；§三（二）2（2）、§四（二）2（5））."""

    province: Province = Field(description="学籍所在省/自治区/直辖市代码")
    district: District | None = Field(default=None, description="学籍在北京市时：所在区代码")


class ChildDetailsIn(_In):
    """适龄儿童基本信息. The registered fields may be repeated but not changed."""

    name: ShortText | None = None
    id_type: Kind | None = None
    id_number: IdNumber | None = None
    birth_date: Code | None = None
    sex: Sex | None = None
    nationality: Nationality | None = None
    hukou_province: Province | None = None
    hukou_address: Text
    hukou_type: Kind
    ethnicity: Ethnicity
    address: Text


class ResidenceIn(_In):
    district: District
    street: Street
    address: Text
    dwelling_type: Dwelling
    property: PropertyIn | None = None
    rental: RentalIn | None = None


class GuardianIn(_In):
    name: ShortText
    relation: Kind
    nationality: Nationality
    hukou_province: Province
    id_type: Kind
    id_number: IdNumber
    education: Kind
    phone: Mobile
    work_nature: Kind
    employer: Text
    employer_district: District = Field(description="工作单位所属区：区代码，other 北京市以外，none 无")
    social_insurance_months: int = Field(ge=0, le=600, description="在本区缴纳社会保险月数")
    employment_start: Code | None = Field(
        default=None, description="在现工作单位就业的起始日期 YYYY-MM-DD（未就业的不填）")
    labour_contract: bool = Field(description="与用人单位签订劳动合同")
    social_insurance_district: District = Field(
        description="社会保险个人权益记录所在区：区代码，other 北京市以外，none 无")


class DetailsCreate(_In):
    child: ChildDetailsIn
    residence: ResidenceIn
    guardians: list[GuardianIn] = Field(description="一至两位法定监护人")
    school_record: SchoolRecordIn | None = Field(default=None, description="学籍（初中入学时填写）")
    family_property: FamilyProperty = Field(description=(
        "家庭（父母或其他监护人）在本市、本区是否有产权住房（§三（一）1（3）无房家庭）："
        "none 在本市无产权住房，beijing 在本市其他区有、在本区无，district 在本区有"
        "（代码见 /api/enumerations/family_property）"))
    disability_placement: Placement | None = Field(default=None, description=(
        "残疾儿童的监护人申请的就读方式（§四（二）1（4）、2（4））：regular_class 普通学校随班就读，"
        "special_class 小学附设特教班（仅小学），special_school 特殊教育学校；非残疾儿童不填。"
        "残疾须经相关职能部门认定（代码见 /api/enumerations/disability_placements）"))
    categories: list[Category] = Field(default_factory=list, max_length=MAX_CATEGORIES,
                                       description="照顾类别（代码见 /api/enumerations/care_categories），如 taiwan 台籍学生")


class GuardianRead(BaseModel):
    position: int
    name: str
    relation: str
    nationality: str
    hukou_province: str
    id_type: str
    id_number: str
    education: str
    phone: str
    work_nature: str
    employer: str
    employer_district: str
    social_insurance_months: int
    employment_start: str | None = None
    labour_contract: bool | None = None
    social_insurance_district: str | None = None


class ApplicantRead(BaseModel):
    account_no: str
    district: str
    status: str
    status_text: str
    return_reason: str | None
    child_name: str
    child_sex: str
    child_birth_date: str
    child_nationality: str
    child_id_type: str
    child_id_number: str
    hukou_province: str
    hukou_district: str | None
    residence_district: str
    guardian_name: str
    guardian_mobile: str
    hukou_address: str | None
    hukou_type: str | None
    ethnicity: str | None
    address: str | None
    actual_district: str | None
    actual_street: str | None
    actual_address: str | None
    dwelling_type: str | None
    property_certificate_no: str | None
    property_certificate_date: str | None
    property_address: str | None
    rental_registration_no: str | None
    rental_registration_date: str | None
    property_holder: str | None = None
    property_certificate_type: str | None = None
    property_for_residence: bool | None = None
    rental_start_date: str | None = None
    rental_continuous: bool | None = None
    rental_sole: bool | None = None
    school_record_province: str | None = None
    school_record_district: str | None = None
    family_property: str | None = None
    disability_placement: str | None = None
    categories: list[str]
    guardians: list[GuardianRead]


class CollectionFormRead(BaseModel):
    """学龄人口信息采集表."""

    form_no: str
    district_name: str
    applicant: ApplicantRead
    generated_at: datetime


class EnumerationItem(BaseModel):
    code: str
    name: str

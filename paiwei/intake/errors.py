"""Domain errors with a stable code, an HTTP status and a message a parent understands.

Every validation rule of the intake raises :class:`IntakeError` with one of the codes in
:data:`CATALOGUE`; the API turns it into problem+json (RFC 9457) with the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from paiwei.problems import ProblemError

# code: (HTTP status, title in Chinese)
CATALOGUE: dict[str, tuple[int, str]] = {
    # manual §一 注意事项 1: starred fields
    "required_field_missing": (422, "带“*”的为必填项，请填写完整"),
    "validation_error": (422, "填写的信息格式不正确，请检查后重新提交"),
    "invalid_choice": (422, "所选内容不在可选范围内，请重新选择"),
    # notice and privacy policy
    "notice_not_read": (422, "请认真阅读监护人须知，10 秒后方可勾选同意"),
    "notice_invalid": (422, "监护人须知已失效，请重新打开注册页面"),
    "notice_not_agreed": (422, "请勾选“我已认真阅读并同意该条款”"),
    "privacy_not_agreed": (422, "请阅读并勾选同意《个人信息保护政策》"),
    # rule 2
    "district_mismatch": (422, "适龄儿童户籍或居住地须有一项与所选入学区一致才能注册"),
    # rule 3
    "id_already_registered": (409, "该证件号码已注册"),
    # rule 4
    "birth_date_format": (422, "出生日期请按照“年-月-日”格式填写，例如 2018-05-01"),
    # rule 5
    "mobile_quota_exceeded": (409, "该监护人手机号码已注册三个账号，不能再注册"),
    "mobile_format": (422, "请填写正确的 11 位手机号码"),
    # rule 6
    "password_policy": (422, "密码长度应为8~20位，且必须包括数字、小写字母、大写字母"),
    "password_mismatch": (422, "两次输入的密码不一致"),
    # rule 7 and SMS
    "sms_code_invalid": (422, "手机短信码不正确或已过期，请重新获取"),
    "sms_resend_too_soon": (429, "获取验证码后 180 秒内不能再次获取，请稍后再试"),
    "sms_daily_cap": (429, "该手机号今日获取短信验证码次数已达上限，请明天再试"),
    # captcha
    "captcha_invalid": (422, "图片验证码不正确或已过期，请点击“换一张”后重新输入"),
    # identity documents
    "id_format": (422, "证件号码格式不正确"),
    "id_checksum": (422, "身份证号码校验位不正确，请核对后重新填写"),
    "id_birth_mismatch": (422, "身份证号码中的出生日期与填写的出生日期不一致"),
    "id_sex_mismatch": (422, "身份证号码中的性别与填写的性别不一致"),
    # accounts
    "login_failed": (401, "账号或密码不正确"),
    "account_locked": (429, "登录失败次数过多，账号已暂时锁定，请 15 分钟后再试"),
    "ip_throttled": (429, "登录尝试过于频繁，请稍后再试"),
    "account_cancelled": (403, "该账号已撤销，不能登录"),
    "reset_mismatch": (422, "账号（或证件号码）与注册手机号不匹配"),
    "not_authenticated": (401, "请先登录"),
    "forbidden": (403, "您没有权限进行此操作"),
    "body_too_large": (413, "提交的内容过大"),
    "bad_request": (400, "请求格式不正确，无法读取提交的内容"),
    "method_not_allowed": (405, "不支持该请求方法"),
    "sms_unavailable": (503, "短信服务暂时不可用，请稍后再试"),
    "csrf_failed": (403, "页面已过期，请刷新后重试"),
    # detailed information and review
    "basic_info_immutable": (409, "注册账号时填写的基本信息不能修改"),
    "details_locked": (409, "当前审核状态下不能修改详细信息"),
    "guardian_count": (422, "请填写一至两位法定监护人信息"),
    "dwelling_details_missing": (422, "请按住所类型填写房屋或租赁登记信息"),
    "date_format": (422, "日期请按照“年-月-日”格式填写，例如 2021-04-01"),
    "date_in_future": (422, "日期不能晚于填报当天"),
    "registration_incomplete": (422, "住房租赁登记备案编号和登记备案日期须同时填写（未登记备案的均不填）"),
    "school_record_district_missing": (422, "学籍在北京市的，请选择学籍所在区"),
    "family_property_contradicts_residence": (
        422, "住所为父母或其他监护人的自有住房，家庭在该房屋所在区有产权住房，请重新选择家庭产权住房情况"),
    "special_class_primary_only": (
        422, "小学附设特教班仅适用于小学入学；初中入学请选择特殊教育学校或在普通学校随班就读"),
    "applicant_not_found": (404, "未找到该适龄儿童信息"),
    "not_found": (404, "您访问的页面或资源不存在"),
    "invalid_transition": (409, "当前审核状态下不能进行此操作"),
    "return_reason_required": (422, "退回时请填写退回原因"),
    "not_verified": (403, "入学审核通过的适龄儿童用户才能打印信息采集表"),
    "out_of_scope": (403, "该适龄儿童不在您负责的街道（地区）范围内"),
    "user_exists": (409, "该用户名已存在"),
}


@dataclass(eq=False)
class IntakeError(ProblemError):
    """A rule was broken. ``code`` is stable; ``field`` names the offending input."""

    CATALOGUE: ClassVar[Mapping[str, tuple[int, str]]] = CATALOGUE
    code: str
    field: str | None = None
    detail: str | None = None

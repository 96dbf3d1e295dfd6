"""Field errors of the JSON API in Chinese (the validator speaks English; re-users read Chinese).

Litestar/msgspec report a bad parameter or body field as ``{"key", "source", "message"}``; the
message is rewritten here, the key and source are kept as they are.
"""

from __future__ import annotations

import re

__all__ = ["in_chinese", "missing_parameter"]

_TYPES = {
    "int": "整数",
    "float": "数字",
    "str": "文本",
    "bool": "布尔值（true 或 false）",
    "array": "数组",
    "object": "对象",
    "null": "空值",
    "date": "日期",
    "datetime": "日期时间",
}


def _type(name: str) -> str:
    return " 或 ".join(_TYPES.get(part.strip(" `"), part.strip(" `")) for part in name.split("|"))


_EXAMPLE_TIME = "2026-12-01T08:00:00+08:00"
_RULES: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"Expected `(.+?)`, got `(.+?)`"), lambda m: f"应为{_type(m[1])}，收到的是{_type(m[2])}"),
    (re.compile(r"Expected `(.+?)` of length >= (\d+)"), lambda m: f"长度不能少于 {m[2]}"),
    (re.compile(r"Expected `(.+?)` of length <= (\d+)"), lambda m: f"长度不能超过 {m[2]}"),
    (re.compile(r"Expected `(.+?)` >= (\S+)"), lambda m: f"不能小于 {m[2]}"),
    (re.compile(r"Expected `(.+?)` <= (\S+)"), lambda m: f"不能大于 {m[2]}"),
    (re.compile(r"Expected `(.+?)` > (\S+)"), lambda m: f"必须大于 {m[2]}"),
    (re.compile(r"Expected `(.+?)` < (\S+)"), lambda m: f"必须小于 {m[2]}"),
    (re.compile(r"Expected `(.+?)` matching regex"), lambda m: "格式不正确"),
    (re.compile(r"Invalid RFC3339 encoded datetime"), lambda m: f"日期时间格式应为 RFC 3339，如 {_EXAMPLE_TIME}"),
    (re.compile(r"Invalid RFC3339 encoded date"), lambda m: "日期格式应为 YYYY-MM-DD，如 2026-12-01"),
    (re.compile(r"Invalid enum value (.+)"), lambda m: f"取值 {m[1]} 不在允许的范围内"),
    (re.compile(r"Object missing required field `(.+?)`"), lambda m: f"缺少必填字段 {m[1]}"),
    (re.compile(r"Object contains unknown field `(.+?)`"), lambda m: f"不认识的字段 {m[1]}"),
    (re.compile(r"Missing required (\w+) parameter '(.+?)'"), lambda m: f"缺少必填参数 {m[2]}"),
    (re.compile(r"JSON is malformed|Invalid JSON|malformed", re.I), lambda m: "JSON 格式有误，无法解析"),
]


def in_chinese(message: str) -> str:
    """The Chinese form of one validator message; messages already in Chinese pass unchanged."""
    if not message or not message.isascii():
        return message
    for pattern, render in _RULES:
        if match := pattern.search(message):
            text = render(match)
            where = re.search(r"at `(\$[^`]*)`", message)
            return f"{text}（位置 {where[1]}）" if where else text
    return "取值或格式不正确"


_MISSING = re.compile(r"Missing required (\w+) parameter '(.+?)'")


def missing_parameter(detail: str | None) -> dict | None:
    """``{"key", "source", "message"}`` for Litestar's "Missing required query parameter 'q' …"."""
    match = _MISSING.search(detail or "")
    if match is None:
        return None
    source = {"header": "header", "cookie": "cookie", "path": "path"}.get(match[1], "query")
    return {"key": match[2], "source": source, "message": in_chinese(match[0])}

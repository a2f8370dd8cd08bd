"""Deterministic applicant records with mixed-script ids, for canonical-JSON checks.

Shared by ``tests/unit/lottery/test_canonical.py`` (20,000 records) and
``scripts/check_canonical_million.py`` (1,000,000 records).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from typing import Any

# Pieces of ids from many scripts, including decomposed forms that NFC composes,
# astral characters, and characters JSON encoders like to treat specially.
SCRIPTS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
    "àéîõüçñßøåæœÀÉÎÕÜÇÑ",  # precomposed Latin
    "e\u0301a\u0308o\u0302n\u0303",  # Latin + combining marks (NFC composes them)
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяЖЩЯ",  # Cyrillic
    "αβγδεζηθικλμνξοπρστυφχψωΩΣ",  # Greek
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗申请人学生朝阳区",  # CJK
    "가나다라마바사아자차카타파하학생",  # Hangul
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",  # Arabic
    "אבגדהוזחטיכלמנסעפצקרשת",  # Hebrew
    "कखगघङचछजझञटठडढणतथदधन",  # Devanagari
    "\U0001f600\U0001f680\U0001f468\u200d\U0001f469\U00020000\U0002a6d6\U0001d538",  # astral
    "\u2028\u2029\u00a0\u200b\ufeff\u007f\u0085\ufffd\U0010ffff",  # separators and oddities
    "\"\\/'<>&",  # characters with JSON or HTML meaning
    "\x00\x01\x08\x09\x0a\x0c\x0d\x1b\x1f",  # control characters
)


def mixed_id(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        alphabet = rng.choice(SCRIPTS)
        parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))))
    return unicodedata.normalize("NFC", "-".join(parts))


def applicant_records(count: int, seed: int = 2024) -> Iterator[dict[str, Any]]:
    """``count`` applicant records, the same ones for the same seed."""
    rng = random.Random(seed)
    schools = [f"s{n:03d}" for n in range(60)]
    for _ in range(count):
        choices = rng.sample(schools, rng.randint(0, 6))
        yield {
            "id": mixed_id(rng),
            "choices": choices,
            "priority": {school: rng.randint(0, 9) for school in choices},
        }

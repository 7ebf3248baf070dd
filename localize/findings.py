"""Every code a QA report can carry, in one catalogue: its severity and what it means for a reviewer.

Each stage defines its own codes beside the code that finds them (one definition each); this module
gathers them, with the prefix the QA report gives them, for `localize findings`, the reports' legends
and a test that no code is written anywhere without its definition.
"""

from __future__ import annotations

from dataclasses import dataclass

from localize import qa, qa_lint
from localize.asr import flags
from localize.dub import dub
from localize.subtitle import lint
from localize.translate import checks
from localize.types import Severity


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity  # the usual one: a few checks lower it for a milder case (their meaning says so)
    stage: str
    meaning: str


def catalogue() -> dict[str, Code]:
    """Every finding code, by code; a code defined twice is a bug (ValueError)."""
    rows = [Code(f"source-{code}", severity, "source", meaning) for code, (severity, meaning) in flags.CODES.items()]
    rows += [Code(f"mt-{code}", Severity.ERROR, "translate", meaning) for code, meaning in checks.MEANINGS.items()]
    rows += [Code(code, severity, "glossary" if code.startswith("glossary-") else "translate", meaning)
             for code, (severity, meaning) in qa.CODES.items()]
    rows += [Code(code, severity, "subtitle", meaning) for code, (severity, meaning) in lint.CODES.items()]
    rows += [Code(code, severity, "subtitle file", meaning) for code, (severity, meaning) in qa_lint.CODES.items()
             if code not in qa.CODES]  # the glossary codes mean the same in a file's check
    rows += [Code(code, severity, "dub", meaning) for code, (severity, meaning) in dub.CODES.items()]
    found: dict[str, Code] = {}
    for row in rows:
        if row.code in found:
            raise ValueError(f"finding code {row.code!r} is defined twice ({found[row.code].stage}, {row.stage})")
        found[row.code] = row
    return found

"""Events out: what the runtime fires, each with the explanation behind it.

`Event` is a pydantic model because it crosses the API boundary. Its id is derived from the
contract, the clause, the window or instance, the kind and an occurrence number, so the same
inputs always give the same ids. Money is a string ("21000.00 EUR"), times are ISO 8601 in UTC.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

KINDS = (
    "obligation.created",
    "obligation.in_effect",
    "obligation.fulfilled",
    "obligation.violated",
    "obligation.suspended",
    "obligation.resumed",
    "obligation.discharged",
    "obligation.terminated",
    "assessment",
    "penalty",
    "credit",
    "incentive",
    "escalation",
    "notice",
    "trigger",
    "power.granted",
    "power.exercised",
    "power.expired",
    "restatement",
    "closeout",
)


class Explanation(BaseModel):
    model_config = ConfigDict(frozen=True)

    summary: str
    clause_text: str = ""
    facts: list[str] = []
    values: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    causes: list[str] = []  # ids of earlier events this one follows from


class Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    seq: int
    contract: str
    version: int
    clause: str
    ref: str | None
    span: str
    kind: str
    time: str
    instance: str | None = None
    amount: str | None = None
    verdict: str | None = None
    parties: dict[str, Any] = {}
    explanation: Explanation

    def line(self) -> str:
        amount = f" {self.amount}" if self.amount else ""
        return f"{self.time} {self.kind:<22} {self.clause}{amount}: {self.explanation.summary}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_id(contract: str, clause: str, instance: str | None, kind: str, occurrence: int) -> str:
    text = json.dumps([contract, clause, instance, kind, occurrence])
    return "ev-" + hashlib.sha256(text.encode()).hexdigest()[:16]

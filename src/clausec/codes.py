"""The registry of diagnostic codes. Codes are stable: never renumber, only add.

CC1xx parse, CC2xx names and types, CC3xx semantics and graph, RT4xx runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Code:
    title: str
    level: Level = Level.ERROR

    @property
    def severity(self) -> Level:
        return self.level


_W = Level.WARNING

CODES: dict[str, Code] = {
    # parse
    "CC100": Code("file cannot be read"),
    "CC101": Code("unexpected token"),
    "CC102": Code("unexpected character"),
    "CC103": Code("unexpected end of file"),
    "CC104": Code("invalid literal"),
    # names and types
    "CC201": Code("unknown name"),
    "CC202": Code("duplicate declaration"),
    "CC203": Code("role bound to an unknown party"),
    "CC204": Code("unknown clause"),
    "CC205": Code("unknown fact type"),
    "CC206": Code("unknown field"),
    "CC207": Code("type mismatch"),
    "CC208": Code("currency mismatch"),
    "CC209": Code("unknown type"),
    "CC210": Code("unknown import or template"),
    "CC211": Code("template argument missing or unknown"),
    "CC212": Code("unknown currency code"),
    "CC213": Code("unknown holiday calendar"),
    "CC214": Code("unknown time zone"),
    "CC215": Code("unknown function or wrong arguments"),
    "CC216": Code("event does not apply to this clause"),
    "CC217": Code("unknown enum value"),
    "CC218": Code("amendment names an unknown clause or parameter"),
    "CC219": Code("ambiguous name"),
    "CC220": Code("reserved field name"),
    # semantics and graph
    "CC301": Code("tier table leaves a gap"),
    "CC302": Code("tier rows overlap under a unique hit policy"),
    "CC303": Code("tier row can never match"),
    "CC304": Code("cap is negative or zero"),
    "CC305": Code("caps are inconsistent"),
    "CC306": Code("obligation has no deadline and is not ongoing"),
    "CC307": Code("debtor or creditor is not a role or party"),
    "CC308": Code("unused parameter", _W),
    "CC309": Code("mixed currencies without a conversion"),
    "CC310": Code("dependency cycle"),
    "CC311": Code("contract header incomplete"),
    "CC312": Code("effective period is empty"),
    "CC313": Code("clause too large for the rete matcher"),
    "CC314": Code("clause states something twice"),
    "CC315": Code("bands leave a gap or overlap"),
    "CC316": Code("unused fact schema", _W),
    "CC317": Code("SLA is incomplete"),
    "CC318": Code("amendment is inconsistent"),
    "CC319": Code("percent out of range"),
    "CC320": Code("more than one contract in a file"),
    "CC321": Code("amendment checked without its contract", _W),
    "CC322": Code("metrics read together are measured over windows that never meet"),
    "CC323": Code("aggregation outside a metric"),
    # runtime
    "RT401": Code("a clause failed at run time; the other clauses went on"),
    "RT402": Code("currencies do not match at run time"),
    "RT403": Code("more than one row matched under a unique hit policy"),
}

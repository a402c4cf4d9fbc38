"""`clausec new NAME`: a contract folder that compiles as it is, with a first scenario file.

The scaffold is a small service agreement (one SLA with a credit table, one obligation with a
penalty) so that authors start from a working file and edit it, rather than from a blank page.
"""

from __future__ import annotations

import re
from pathlib import Path

CONTRACT = """\
# {title}: a starting point. Edit the parties, figures and clauses to match the signed text.

contract "{title}" {{
  id "{ident}"
  version 1
  effective 2027-01-01 until 2028-12-31
  timezone "Europe/London"
  currency GBP
  calendar GB
  rounding half_up to 0.01

  party buyer "Buyer Ltd"
  party supplier "Supplier plc"

  role contract_manager: buyer "contracts@buyer.example" (A)
  role service_desk: supplier "servicedesk@supplier.example" (R)

  param monthly_charge: money = 8500 GBP
  param go_live_value: money = 60000 GBP

  fact outage {{ ticket: text, start: datetime, end: datetime, planned: bool }}
  fact go_live {{ at: datetime, signed_off: bool }}

  metric availability "Sch. 1, 2.1" per calendar month =
      100% - minutes(outage where not planned) / minutes(window)

  sla service_availability "Sch. 1, 2.2" {{
    owner service_desk
    inform contract_manager
    measure availability
    target availability >= 99.5%
    credit of monthly_charge first match {{
      availability < 98%: 15%
      availability < 99.5%: 5%
    }}
    cap 20% of monthly_charge per window
    claim within 60 days after window end
  }}

  obligation go_live_by_date "Sch. 2, 1.1" {{
    supplier must complete go_live where signed_off
    to buyer
    by 2027-03-31T17:00[Europe/London]
    owner service_desk
    on breach {{
      penalty 0.25% of go_live_value per day late or part thereof
      cap 10% of go_live_value
    }}
  }}
}}
"""

SCENARIO = """\
# A first scenario for {title}: one unplanned outage of 4 hours in March 2027. Edit the facts
# and the clock moves, and work the expected events out by hand from the contract's text.
# - January and February 2027: no outage, 100%: met. Each month is assessed when it ends.
# - March 2027 runs from 1 March 00:00 GMT to 1 April 00:00 BST (summer time starts on the
#   28th): 743 hours, 44,580 minutes. 4 hours down: 1 - 240 / 44,580 = 99.462%, below the
#   99.5% target and not below 98%: 5% of 8,500 GBP = 425.00 GBP, assessed at 2027-04-01
#   00:00 BST (2027-03-31T23:00Z).
# Run it with `clausec test {folder}`.
contract: ../contract.clause
steps:
  - facts:
      - id: outage-1
        type: outage
        ticket: "INC-20417"
        start: "2027-03-09T09:00:00+00:00"
        end: "2027-03-09T13:00:00+00:00"
        planned: false
  - advance_to: "2027-04-10T00:00:00+01:00"
only: [assessment, credit]
expect:
  - {{time: '2027-02-01T00:00:00Z', kind: assessment, clause: service_availability,
     instance: 2027-01, verdict: met}}
  - {{time: '2027-03-01T00:00:00Z', kind: assessment, clause: service_availability,
     instance: 2027-02, verdict: met}}
  - {{time: '2027-03-31T23:00:00Z', kind: assessment, clause: service_availability,
     instance: 2027-03, verdict: breached}}
  - {{time: '2027-03-31T23:00:00Z', kind: credit, clause: service_availability,
     instance: 2027-03, amount: 425.00 GBP}}
"""


def scaffold(name: str, parent: Path) -> list[Path]:
    """Create `parent/name/` with a contract and a scenario; refuse to overwrite anything."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
        raise ValueError(f"'{name}' is not a usable name: use letters, digits, - and _")
    folder = parent / name
    if folder.exists():
        raise FileExistsError(f"{folder} already exists; choose another name")
    title = name.replace("_", " ").replace("-", " ").title()
    ident = re.sub(r"[^A-Z0-9]+", "-", name.upper()) + "-2027"
    files = {
        folder / "contract.clause": CONTRACT.format(title=title, ident=ident),
        folder / "scenarios" / "first_outage.scenario.yaml": SCENARIO.format(
            title=title, folder=folder
        ),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)

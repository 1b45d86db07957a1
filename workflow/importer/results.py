"""What the import reads: units as written, assignments, the whole result."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from workflow.importer.actors import UnitMention, UnitRef  # noqa: F401 (re-exported)

# ----------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------


@dataclass
class Assignment:
    item: str
    title: str
    lead: UnitMention | None = None
    fan_out: str | None = None
    coordinating: list[UnitMention] = field(default_factory=list)
    deadline_text: str | None = None
    deadline: object = None            # aware datetime or None
    recurrence: str | None = None
    period: str | None = None
    deadline_error: str | None = None
    source: str = ""
    product: str | None = None


@dataclass
class ImportResult:
    number: int | None = None
    symbol: str | None = None
    kind: str | None = None
    issuer: UnitMention | None = None
    place: str | None = None
    issued_on: date | None = None
    subject: str = ""
    recipients: list[str] = field(default_factory=list)
    recipient_codes: list[str] = field(default_factory=list)
    distribution: list[str] = field(default_factory=list)
    signing_authority: str = ""
    signer_title: str = ""
    signer_name: str = ""
    references: list[str] = field(default_factory=list)
    preamble: str = ""
    directives: list[dict] = field(default_factory=list)
    not_taken: list[dict] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source_text: str = ""

    @property
    def full_number(self) -> str | None:
        return f"{self.number}-{self.symbol}" if self.number is not None and self.symbol else None

"""What the data of a run can support, decided once from its provenance class.

The synthetic default (class *assumed*) supports SSB's published figures, told as SSB told
them, and a demonstration of the method: panel values are shown as points that show what
real microdata will fill, never with an interval, an error bar or band, or a verdict word
("rose", "fell", "about unchanged"), and model results are not findings. Real microdata
(class *estimated*) support estimates with their intervals and verdicts, model results as
findings, and need disclosure control on everything computed from units.

Every section and figure asks this object instead of testing the data mode itself, so no
sentence hedges on its own."""

from __future__ import annotations

from dataclasses import dataclass

from .evidence import ASSUMED, ESTIMATED


@dataclass(frozen=True)
class Support:
    data_class: str  # ASSUMED (synthetic panel) or ESTIMATED (real microdata)

    @classmethod
    def of(cls, synthetic: bool) -> Support:
        return cls(ASSUMED if synthetic else ESTIMATED)

    @property
    def estimates(self) -> bool:
        """Panel values are estimates about municipalities (else: a demonstration)."""
        return self.data_class == ESTIMATED

    @property
    def intervals(self) -> bool:
        """Confidence intervals, error bars and bands may be drawn around panel values."""
        return self.estimates

    @property
    def verdicts(self) -> bool:
        """Words that judge a panel comparison (rose / fell / unchanged, higher / lower)."""
        return self.estimates

    @property
    def model_findings(self) -> bool:
        """Model effects may stand among the key findings."""
        return self.estimates

    @property
    def key_findings(self) -> str:
        """Where the key findings come from: "published" (SSB's figures) or "estimates"."""
        return "estimates" if self.estimates else "published"

    @property
    def disclosure(self) -> bool:
        """Values computed from real units: disclosure control applies."""
        return self.estimates

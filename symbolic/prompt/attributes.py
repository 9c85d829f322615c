"""`Attributes`: what a prompt asks for, as the parser fills it and `--json` prints it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from symbolic.theory.gm import DRUMS, PROGRAM_NAMES
from symbolic.theory.keys import parse_key, signature_sharps


def program_names(programs: list[int]) -> list[str]:
    """GM names of programs, "Drums" for the drum kit."""
    return ["Drums" if p == DRUMS else PROGRAM_NAMES[p] for p in programs]


@dataclass
class Attributes:
    """What a prompt asks for; `explicit` names the fields the prompt itself stated."""

    key: str | None = None
    mode: str | None = None
    tempo: float | None = None
    tempo_word: str | None = None
    tempo_range: tuple[float, float] | None = None
    meter: str | None = None
    instruments: list[int] = field(default_factory=list)
    bars: int | None = None
    style: str | None = None
    style_requested: str | None = None
    mood: str | None = None
    excluded: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    explicit: set[str] = field(default_factory=set)

    def to_dict(self) -> dict:
        """A JSON-ready dict (for `--json`)."""
        out = asdict(self)
        out["tempo_range"] = list(self.tempo_range) if self.tempo_range else None
        out["explicit"] = sorted(self.explicit)
        out["instrument_names"] = program_names(self.instruments)
        return out

    def key_signature(self) -> tuple[int, int] | None:
        """(sharps > 0 / flats < 0, 0 major / 1 minor) for a key-signature event, or None."""
        if self.key is None:
            return None
        tonic, mode = parse_key(self.key)
        return signature_sharps(tonic, mode), int(mode == "minor")

    def describe(self) -> str:
        """One line for stderr: "jazz · Cm · 160 bpm · 4/4 · Tenor Sax, ... · 16 bars"."""
        parts = [self.style or "", self.key or (self.mode or ""), self.mood or ""]
        if self.tempo:
            parts.append(f"{self.tempo:g} bpm")
        parts.append(self.meter or "")
        parts.append(", ".join(program_names(self.instruments)))
        if self.bars:
            parts.append(f"{self.bars} bars")
        return " · ".join(p for p in parts if p)

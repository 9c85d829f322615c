"""Meter: a time signature and its 16th-note grid of metrical weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbolic.errors import SymgenError


@dataclass(frozen=True)
class Meter:
    """A time signature and its 16th-note grid."""

    numerator: int = 4
    denominator: int = 4

    @classmethod
    def parse(cls, meter: Meter | str | tuple[int, int]) -> Meter:
        """Accept ``Meter``, ``"6/8"`` or ``(6, 8)``."""
        if isinstance(meter, Meter):
            return meter
        try:
            num, den = (int(x) for x in meter.split("/")) if isinstance(meter, str) else meter
        except (ValueError, TypeError) as err:
            raise SymgenError(f"bad meter {meter!r}: write it like 4/4, 3/4 or 6/8") from err
        if num < 1 or den not in (1, 2, 4, 8, 16):
            raise SymgenError(f"bad meter {meter!r}: numerator ≥ 1, denominator 1, 2, 4, 8 or 16")
        return cls(num, den)

    @property
    def compound(self) -> bool:
        """6/8, 9/8, 12/8 …: beats are dotted quarters."""
        return self.denominator == 8 and self.numerator % 3 == 0 and self.numerator >= 6

    @property
    def beat_16ths(self) -> int:
        """Length of one beat in 16ths."""
        return 6 if self.compound else max(16 // self.denominator, 1)

    @property
    def bar_16ths(self) -> int:
        """Length of one bar in 16ths."""
        return self.numerator * 16 // self.denominator

    @property
    def bar_beats(self) -> float:
        """Length of one bar in quarter-note beats."""
        return self.bar_16ths / 4

    def weights(self) -> np.ndarray:
        """Metrical weight (0–4) of each 16th position in a bar (see the module doc)."""
        bar, beat = self.bar_16ths, self.beat_16ths
        n_beats = bar // beat
        w = np.zeros(bar, dtype=np.int64)
        w[::2] = 1
        w[::beat] = 2
        if n_beats % 2 == 0 and (n_beats >= 4 or self.compound):
            w[bar // 2] = 3
        w[0] = 4
        return w

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"

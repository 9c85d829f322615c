"""Checks on sampled REMI token strings that tests share."""

from __future__ import annotations


def structure_errors(tokens: list[str]) -> int:
    """Positions that do not move forward in their bar, and notes repeated at one onset
    (miditok's `tokens_errors` knows neither compact Program tokens nor drums without
    Durations, so the sampling test checks what it would)."""
    errors, position, program, onset = 0, -1, None, set()
    for token in tokens:
        kind, value = token.split("_", 1)
        if kind == "Bar":
            position, program, onset = -1, None, set()
        elif kind == "Position":
            errors += int(value) <= position
            position, onset = int(value), set()
        elif kind == "Program":
            program = value
        elif kind in ("Pitch", "PitchDrum"):
            errors += program is None or (program, value) in onset
            onset.add((program, value))
    return errors

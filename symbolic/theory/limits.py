"""What symgen accepts and writes: tempo and length limits, one place for every command."""

from __future__ import annotations

TEMPO_RANGE = (20.0, 300.0)  # bpm a user may ask for
FILE_TEMPO_RANGE = (10.0, 1000.0)  # bpm a file may carry and still be read
MAX_BARS = 64  # bars one request may generate

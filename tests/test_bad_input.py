"""Bad input through the command line: exit 1, one plain line on stderr, no output, input intact.

Every case runs `symgen info|tokenize|render|infill` as a subprocess, as a user would.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from symusic import Note, Score, Tempo, TimeSignature, Track

REPO = Path(__file__).resolve().parents[1]


def _melody(tracks: int = 1, qpm: float = 120.0) -> Score:
    score = Score(480)
    score.tempos.append(Tempo(0, qpm))
    score.time_signatures.append(TimeSignature(0, 4, 4))
    for i in range(tracks):
        track = Track(f"T{i}", i % 128)
        track.notes.extend([Note(j * 480, 480, 60 + j % 12, 80) for j in range(8)])
        score.tracks.append(track)
    return score


def _absurd_tempo(path: Path) -> None:
    data = bytearray(_melody().dumps_midi())
    marker = bytes([0xFF, 0x51, 0x03])  # set-tempo meta event: 3 bytes of microseconds per beat
    at = data.index(marker) + 3
    data[at : at + 3] = (1).to_bytes(3, "big")  # 1 us per quarter: 60 million bpm
    path.write_bytes(bytes(data))


def _no_notes(path: Path) -> None:
    score = Score(480)
    score.tempos.append(Tempo(0, 120))
    score.tracks.append(Track("Empty", 0))
    path.write_bytes(score.dumps_midi())


def _truncated(path: Path) -> None:
    data = _melody().dumps_midi()
    path.write_bytes(data[: len(data) // 2])


LATIN1_ABC = "X:1\nT:Caf\xe9\nK:C\nCDEF|]\n".encode("latin-1")

# name -> (file name, writer); a writer of None means "do not create the file".
CASES: dict[str, tuple[str, Callable[[Path], None] | None]] = {
    "missing": ("missing.mid", None),
    "directory": ("folder.mid", lambda p: p.mkdir()),
    "empty": ("empty.mid", lambda p: p.write_bytes(b"")),
    "random_bytes": ("random.mid", lambda p: p.write_bytes(os.urandom(2048))),
    "truncated": ("truncated.mid", _truncated),
    "no_notes": ("silent.mid", _no_notes),
    "1000_tracks": ("many.mid", lambda p: p.write_bytes(_melody(tracks=1000).dumps_midi())),
    "absurd_tempo": ("fast.mid", _absurd_tempo),
    "abc_syntax": ("broken.abc", lambda p: p.write_text("X:1\nT:broken\nK:Q#x\n|]]]}{ (((3\n")),
    "abc_no_key": ("nokey.abc", lambda p: p.write_text("X:1\nT:no key\nABcd|]\n")),
    "abc_not_utf8": (
        "latin1.abc",
        lambda p: p.write_bytes("X:1\nT:Caf\xe9\nK:C\nCDEF|]\n".encode("latin-1")),
    ),
}

COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "info": lambda src, out: ["info", str(src)],
    "tokenize": lambda src, out: ["tokenize", str(src), "--out", str(out / "tokens.json")],
    "render": lambda src, out: ["render", str(src), "-o", str(out / "out.wav")],
    "infill": lambda src, out: ["infill", str(src), "--tracks", "0", "-o", str(out / "out.mid")],
}


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_input(command: str, case: str, tmp_path: Path) -> None:
    name, writer = CASES[case]
    src_dir, out_dir = tmp_path / "in", tmp_path / "out"
    src_dir.mkdir()
    out_dir.mkdir()
    src = src_dir / name
    if writer is not None:
        writer(src)
    before = _digest(src)
    proc = subprocess.run(
        [sys.executable, "-m", "symbolic.cli", *COMMANDS[command](src, out_dir)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert name in lines[0] and ";" in lines[0], lines[0]  # names the file, then what to do
    assert list(out_dir.iterdir()) == [], "an output file was written"
    assert _digest(src) == before
    assert sorted(p.name for p in src_dir.iterdir()) == ([] if writer is None else [name])


def test_help_is_fast_and_light() -> None:
    code = "import sys; from symbolic.cli import main; main(['--help'])"
    check = "import sys, atexit; atexit.register(lambda: print('torch' in sys.modules))"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", f"{check}; {code}"], capture_output=True, text=True, cwd=REPO
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0 and "symgen" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "False", "symgen --help imported torch"
    assert elapsed < 0.5, f"symgen --help took {elapsed:.2f} s"


def test_a_command_that_fails_halfway_leaves_no_file(tmp_path: Path, monkeypatch, capsys) -> None:
    """text2midi writes its MIDI, then the WAV fails: exit 1, one line, and the MIDI is gone
    (an older file of the same name would have stayed)."""
    import symbolic.render
    from symbolic.cli import main
    from symbolic.errors import SymgenError

    def broken(*args, **kwargs):
        raise SymgenError("FluidSynth failed (test); check the soundfont")

    monkeypatch.setattr(symbolic.render, "render_file", broken)
    out, wav = tmp_path / "song.mid", tmp_path / "song.wav"
    argv = ["text2midi", "a folk tune", "--bars", "2", "-o", str(out), "--wav", str(wav)]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "FluidSynth failed" in err[0]
    assert list(tmp_path.iterdir()) == []

"""Audio rendering: any score to WAV through the FluidSynth binary, with soundfont discovery.

The binary's fast-render mode (`-F`) is faster than driving libfluidsynth from Python and keeps
a crash in C away from our process. Every render goes through a DAW-ready temp MIDI so that
the same validation as `load` applies, and the WAV is written to a temp name, then renamed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import wave
from pathlib import Path

from symusic import Score

from symbolic.errors import SymgenError

FLUIDR3 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
INSTALL_HINT = "sudo apt-get install fluidsynth fluid-soundfont-gm"
GAIN = 0.6
# Large audio buffers and linear interpolation: about 1.5x faster than the defaults, and the
# difference is inaudible for previews of GM material.
_SPEED_OPTIONS = ("-z", "4096")
_SHELL_COMMANDS = "interp 1\n"


def fluidsynth_binary() -> str:
    """Path of the `fluidsynth` program, or a `SymgenError` saying how to install it."""
    found = shutil.which("fluidsynth")
    if found is None:
        raise SymgenError(f"FluidSynth is not installed; run: {INSTALL_HINT}")
    return found


def default_soundfont() -> Path:
    """`$SYMGEN_SOUNDFONT`, else FluidR3_GM when installed, else pretty_midi's TimGM6mb.sf2."""
    env = os.environ.get("SYMGEN_SOUNDFONT")
    if env:
        return Path(env)
    if FLUIDR3.exists():
        return FLUIDR3
    import importlib.util

    spec = importlib.util.find_spec("pretty_midi")
    if spec and spec.origin:
        bundled = Path(spec.origin).parent / "TimGM6mb.sf2"
        if bundled.exists():
            return bundled
    raise SymgenError(f"no GM soundfont found; run: {INSTALL_HINT}, or pass --soundfont FILE.sf2")


def _check_soundfont(path: Path) -> Path:
    if not path.is_file():
        raise SymgenError(f"{path}: soundfont not found; pass an existing .sf2 with --soundfont")
    with path.open("rb") as handle:
        head = handle.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise SymgenError(f"{path}: not a SoundFont 2 (.sf2) file; pass a .sf2 with --soundfont")
    return path


def _check_wav_path(wav_path: Path, *inputs: Path) -> None:
    if wav_path.is_dir():
        raise SymgenError(f"{wav_path}: is a folder; give a file name ending in .wav with -o")
    if wav_path.suffix.lower() != ".wav":
        raise SymgenError(f"{wav_path}: output must end in .wav; choose a name like out.wav")
    for item in inputs:
        if wav_path.exists() and item.exists() and wav_path.samefile(item):
            raise SymgenError(f"{wav_path}: is also the input; choose another output name with -o")


def render_score(
    score: Score,
    wav_path: str | Path,
    soundfont: str | Path | None = None,
    sample_rate: int = 44100,
    *,
    _inputs: tuple[Path, ...] = (),
) -> dict:
    """Render a score to a 16-bit stereo WAV; returns paths, audio seconds and realtime factor."""
    from symbolic.score import daw_ready, move_into_place

    wav_path = Path(wav_path)
    _check_wav_path(wav_path, *_inputs)
    if not 8000 <= sample_rate <= 192000:
        raise SymgenError(f"sample rate {sample_rate} Hz is out of range; use 8000-192000 (44100)")
    sf2 = _check_soundfont(Path(soundfont) if soundfont else default_soundfont())
    binary = fluidsynth_binary()
    wav_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="symgen-render-") as tmp:
        midi = Path(tmp) / "in.mid"
        midi.write_bytes(daw_ready(score).dumps_midi())
        commands = Path(tmp) / "commands.txt"
        commands.write_text(_SHELL_COMMANDS)
        fd, part = tempfile.mkstemp(
            dir=wav_path.parent, prefix=f".{wav_path.name}.", suffix=".part"
        )
        os.close(fd)
        try:
            cmd = [binary, "-ni", "-q", *_SPEED_OPTIONS, "-f", str(commands), "-T", "wav"]
            cmd += ["-F", part, "-r", str(sample_rate), "-g", str(GAIN), str(sf2), str(midi)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            seconds = _wav_seconds(Path(part))
            if proc.returncode != 0 or seconds is None:
                detail = (proc.stderr or proc.stdout or "no output").strip().splitlines()
                raise SymgenError(
                    f"FluidSynth failed ({detail[-1][:100] if detail else 'no output'}); "
                    "check the soundfont, or rerun with --debug"
                )
            move_into_place(part, wav_path)
        finally:
            Path(part).unlink(missing_ok=True)
    elapsed = time.perf_counter() - start
    return {
        "wav": str(wav_path),
        "soundfont": str(sf2),
        "sample_rate": sample_rate,
        "audio_seconds": round(seconds, 3),
        "render_seconds": round(elapsed, 3),
        "realtime_factor": round(seconds / elapsed, 1) if elapsed > 0 else None,
    }


def _wav_seconds(path: Path) -> float | None:
    """Length of a WAV file in seconds, or None if it is not a readable WAV."""
    try:
        with wave.open(str(path), "rb") as handle:
            return handle.getnframes() / handle.getframerate()
    except (wave.Error, EOFError, OSError):
        return None


def render_file(
    path: str | Path,
    wav_path: str | Path,
    soundfont: str | Path | None = None,
    sample_rate: int = 44100,
) -> dict:
    """Render a MIDI, ABC or MusicXML file to WAV (see `render_score`)."""
    from symbolic.score import load

    path = Path(path)
    wav_path = Path(wav_path)
    _check_wav_path(wav_path, path)
    fluidsynth_binary()  # fail fast, before a slow ABC parse
    result = render_score(load(path), wav_path, soundfont, sample_rate, _inputs=(path,))
    return {"input": str(path), **result}

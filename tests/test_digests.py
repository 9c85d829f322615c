"""Every command's output for fixed inputs and seeds, as SHA-256 digests of the bytes it wrote.

A refactor must leave every digest as it was; a change that is meant to change output (a
retrained model, a new token) updates them on purpose with
`python tests/test_digests.py --update` and says so in its commit. The inputs are built here
(mido and the music21 corpus), so the test needs no shared data.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
from pathlib import Path

import mido
import pytest

from symbolic.cli import main
from symbolic.paths import data_root

DIGESTS = Path(__file__).with_name("digests.json")
TUNE = """X:1
T:Digest Reel
M:4/4
L:1/8
K:G
|:GABc dedB|dedB dedB|c2ec B2dB|c2A2 A2BA|
GABc dedB|dedB dedB|c2ec B2dB|A2F2 G4:|
"""
LYRICS = "the river runs along the hill\nand morning light is on the mill"


def _band_midi(path: Path) -> None:
    """Eight bars of melody, chords and bass at 384 ticks per quarter, written with mido."""
    tpq, bar = 384, 4 * 384
    mid = mido.MidiFile(type=1, ticks_per_beat=tpq)
    meta = mido.MidiTrack(
        [
            mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(110), time=0),
            mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
            mido.MetaMessage("key_signature", key="G", time=0),
        ]
    )
    mid.tracks.append(meta)
    roots = [55, 60, 62, 55, 52, 60, 62, 55]
    parts = {
        "Melody": (
            0,
            73,
            [
                (b * bar + q * tpq, tpq, roots[b] + 12 + (0, 4, 7, 12)[q])
                for b in range(8)
                for q in range(4)
            ],
        ),
        "Piano": (1, 0, [(b * bar, bar, roots[b] + i) for b in range(8) for i in (0, 4, 7)]),
        "Bass": (
            2,
            33,
            [(b * bar + h * 2 * tpq, 2 * tpq, roots[b] - 24) for b in range(8) for h in range(2)],
        ),
    }
    for name, (channel, program, notes) in parts.items():
        events = []
        for start, dur, pitch in notes:
            events.append(
                (start, 1, mido.Message("note_on", channel=channel, note=pitch, velocity=80))
            )
            events.append((start + dur, 0, mido.Message("note_off", channel=channel, note=pitch)))
        events.sort(key=lambda e: (e[0], e[1], e[2].note))
        track = mido.MidiTrack(
            [
                mido.MetaMessage("track_name", name=name, time=0),
                mido.Message("program_change", channel=channel, program=program, time=0),
            ]
        )
        now = 0
        for tick, _, msg in events:
            track.append(msg.copy(time=tick - now))
            now = tick
        mid.tracks.append(track)
    mid.save(path)


RUNS: dict[str, list[str]] = {
    "info": ["info", "{band}", "--json"],
    "info-xml": ["info", "{chorale}", "--json"],
    "tokenize-remi": ["tokenize", "{band}", "--tokenizer", "remi"],
    "tokenize-abc": ["tokenize", "{tune}", "--tokenizer", "abc"],
    "text2midi-jazz": [
        "text2midi",
        "jazz in C minor",
        "--bars",
        "4",
        "--seed",
        "3",
        "-o",
        "{out}/a.mid",
    ],
    "text2midi-waltz": [
        "text2midi",
        "a slow folk waltz in D major for fiddle and guitar",
        "--bars",
        "4",
        "--seed",
        "1",
        "-o",
        "{out}/a.mid",
    ],
    "generate-abc": [
        "generate",
        "--model",
        "abc-folk",
        "--prompt",
        "M:6/8\\nK:D\\nR:jig",
        "--seed",
        "2",
        "-o",
        "{out}/tunes",
    ],
    "generate-continue": [
        "generate",
        "--model",
        "remi-multi",
        "--continue",
        "{band}",
        "--bars",
        "2",
        "--seed",
        "1",
        "--style",
        "pop",
        "-o",
        "{out}/c.mid",
    ],
    "infill-tracks": [
        "infill",
        "{band}",
        "--tracks",
        "piano",
        "--bars",
        "3-6",
        "--steps",
        "4",
        "--seed",
        "1",
        "-o",
        "{out}/i.mid",
    ],
    "infill-add": [
        "infill",
        "{band}",
        "--add",
        "drums",
        "--steps",
        "4",
        "--chords",
        "G C D G",
        "--seed",
        "2",
        "-o",
        "{out}/i.mid",
    ],
    "lyric2melody": [
        "lyric2melody",
        LYRICS,
        "--key",
        "F",
        "--meter",
        "3/4",
        "--chords",
        "--seed",
        "4",
        "-o",
        "{out}/l.mid",
        "--abc",
        "{out}/l.abc",
    ],
    "data-build-remi": [
        "data",
        "build",
        "chorales",
        "--tokenizer",
        "remi",
        "--limit",
        "3",
        "--workers",
        "1",
        "--out",
        "{out}/remi",
    ],
    "data-build-abc": [
        "data",
        "build",
        "folk",
        "--tokenizer",
        "abc",
        "--limit",
        "6",
        "--workers",
        "1",
        "--out",
        "{out}/abc",
    ],
    "data-build-palestrina": [
        "data",
        "build",
        "palestrina,monteverdi",
        "--limit",
        "2",
        "--workers",
        "1",
        "--out",
        "{out}/remi",
    ],
}
# Builds over the shared corpora: run where ../shared/data is at hand, skipped elsewhere.
SHARED = ("pop909", "nottingham", "wjazzd", "lyrics_melody")
NEEDS_DATA = {f"data-build-{source}" for source in SHARED}
for _source in SHARED:
    RUNS[f"data-build-{_source}"] = [
        "data",
        "build",
        _source,
        "--limit",
        "4",
        "--workers",
        "1",
        "--transpose=-1..1",
        "--out",
        "{out}/remi",
    ]
VOLATILE = ("seconds", "date")  # build summaries say when and how long: not part of the output


def make_inputs(folder: Path) -> dict[str, Path]:
    import music21

    _band_midi(folder / "band.mid")
    (folder / "tune.abc").write_text(TUNE)
    return {
        "band": folder / "band.mid",
        "tune": folder / "tune.abc",
        "chorale": Path(str(music21.corpus.getWork("bach/bwv66.6"))),
    }


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    return make_inputs(tmp_path_factory.mktemp("digest-inputs"))


def _digest(folder: Path, stdout: str) -> str:
    """SHA-256 over every file written (by relative path) and stdout for info-like runs."""
    h = hashlib.sha256()
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for p in files:
        h.update(str(p.relative_to(folder)).encode())
        if p.name == "build.json":
            summary = {k: v for k, v in json.loads(p.read_text()).items() if k not in VOLATILE}
            h.update(json.dumps(summary, sort_keys=True).encode())
        else:
            h.update(p.read_bytes())
    if not files:
        h.update(stdout.encode())
    return h.hexdigest()


def run(name: str, inputs: dict[str, Path], out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    args = [a.format(out=out, **inputs) for a in RUNS[name]]
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(args)
    assert code == 0, f"{name} failed"
    text = stdout.getvalue().replace(str(out), "OUT")
    for key, path in inputs.items():
        text = text.replace(str(path), key.upper())
    return _digest(out, text)


@pytest.mark.parametrize("name", list(RUNS))
def test_output_bytes_unchanged(name, inputs, tmp_path):
    if name in NEEDS_DATA and not (data_root() / "pop909").exists():
        pytest.skip(f"{name}: the shared data folder is not here")
    expected = json.loads(DIGESTS.read_text())
    assert run(name, inputs, tmp_path / name) == expected[name], (
        f"{name}: output bytes changed; if intended, run python tests/test_digests.py --update"
    )


if __name__ == "__main__":
    import tempfile

    if "--update" not in sys.argv:
        sys.exit("usage: python tests/test_digests.py --update")

    with tempfile.TemporaryDirectory() as tmp:
        made = make_inputs(Path(tmp))
        digests = json.loads(DIGESTS.read_text()) if DIGESTS.exists() else {}
        for name in RUNS:
            if name not in NEEDS_DATA or (data_root() / "pop909").exists():
                digests[name] = run(name, made, Path(tmp) / name)
    DIGESTS.write_text(json.dumps(digests, indent=1) + "\n")
    print(f"{len(digests)} digests written to {DIGESTS}")

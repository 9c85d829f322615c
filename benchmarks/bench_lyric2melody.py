"""lyric2melody on held-out lyrics_melody songs: the model, a rule-only baseline, real melodies.

Validation songs are those whose id hashes into the 5% validation share (`symbolic.data.split`),
never trained on. Each song's syllables (stress, place in word and line, from the data) are set
by the model (4/4, the song's estimated mode) and by the rules below, and compared with the real
melody of the same lyrics (line-aligned in 4/4, as in training):

- alignment: the MIDI written with the song's syllables as lyric events, read back: one event
  per note, in order, each on a note onset (share of songs where all hold);
- PD / DD: overlap of the pitch histograms (each centred on its own mean pitch) and of the
  duration histograms (16ths), per song (mean) and pooled over all songs; MD: dynamic time
  warping distance of the mean-centred pitch sequences, per aligned note (semitones);
- stressed syllables on a beat (metrical weight ≥ 2) and on an accent (≥ 3), notes in the key
  (diatonic; harmonic minor's leading tone counts), songs whose range is ≤ 18 semitones;
- "real vs another real song" pairs each song with another validation song (the next ones in
  file order, outside the judged set): the reference for PD/DD a generated melody should beat.

Rule-only baseline (skeleton and template rules alone): every line starts on a downbeat;
stressed syllables go to the next beat, others to the next 8th; a line's last syllable lasts to
the end of its bar; one chord per bar cycling I–IV–V–I (minor i–iv–v–i); stressed syllables
take the chord tone nearest the previous note, others the scale step toward it; lines end on
the tonic, every other line on the fifth (half cadence).

Speed: `symgen lyric2melody` on an 8-line verse (our own text) in a cold process.

    python benchmarks/bench_lyric2melody.py [--songs 60] [--max-syllables 128] [--record]
    (--ablation adds the model sampled without the stress and repetition priors)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import report  # noqa: E402

from symbolic.data.lyric_songs import iter_songs, song_to_melody, syllable_stresses  # noqa: E402
from symbolic.data.split import split_of  # noqa: E402
from symbolic.melody import scale_degree  # noqa: E402
from symbolic.theory.keys import best_key, pitch_class_histogram  # noqa: E402
from symbolic.theory.meter import Meter  # noqa: E402
from symbolic.tokenize.lyric import SyllableSlot, syllable_slots  # noqa: E402

METER = Meter(4, 4)
VERSE = """The kettle sings a morning tune,
the window fills with yellow light,
I count the steps across the room
and wonder where you slept last night.
We built a boat of paper sails,
we sent it down the gutter stream,
it carried all our little tales
beyond the edges of the dream."""
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10, 11)


def val_songs(count: int, max_syllables: int, min_syllables: int = 16) -> list[dict]:
    """The first `count` validation songs, cut to whole lines within `max_syllables`."""
    out = []
    for song in iter_songs():
        if split_of(f"lyrics_melody/{song['id']}") != "val":
            continue
        try:
            melody, info = song_to_melody(song, align="line", meter=METER)
        except Exception:  # a record without notes
            continue
        ends = np.flatnonzero(info.is_line_end) + 1
        fit = ends[ends <= max_syllables]
        n = int(fit[-1]) if len(fit) else 0
        if n < min_syllables:
            continue
        on16, dur16 = melody.grid()
        on16 = on16[:n] - (on16[0] // METER.bar_16ths) * METER.bar_16ths
        tonic, mode, _ = best_key(pitch_class_histogram(melody.pitch, melody.duration))
        stress = syllable_stresses(song)[:n]
        texts = [  # in memory only, for the alignment check
            syl + ("" if k == len(w["syllables"]) - 1 else "-")
            for line in song["lines"]
            for w in line
            if w.get("notes")
            for k, syl in enumerate(w["syllables"])
        ][:n]
        slots = syllable_slots(
            stress, info.index_in_word[:n], info.word_len[:n], info.line_index[:n]
        )
        out.append(
            {
                "slots": slots,
                "texts": texts,
                "tonic": tonic,
                "mode": mode,
                "real": (on16, dur16[:n], melody.pitch[:n]),
            }
        )
        if len(out) == count:
            break
    return out


def rule_melody(slots: list[SyllableSlot], tonic: int, mode: str, meter: Meter) -> tuple:
    """The rule-only baseline (see the module doc): onsets, durations (16ths), MIDI pitches."""
    bar, beat = meter.bar_16ths, meter.beat_16ths
    scale = np.array(MAJOR_SCALE if mode == "major" else MINOR_SCALE[:7])
    register = np.arange(60, 78)  # C4 to F5
    in_scale = register[np.isin((register - tonic) % 12, scale)]
    on, dur, pitch = [], [], []
    t, line, prev = 0, -1, 67
    for s in slots:
        if s.line_start:
            line += 1
            t = -(-t // bar) * bar
        if s.stress == 1:
            t = -(-t // beat) * beat
        length = (bar - t % bar) if s.line_end else (beat if s.stress == 1 else 2)
        if s.line_end and length < beat:
            length += bar
        root = (0, 3, 4, 0)[(t // bar) % 4]  # scale steps of I IV V I
        chord = (tonic + scale[[(root + k) % 7 for k in (0, 2, 4)]]) % 12
        if s.line_end:
            chord = [(tonic + scale[4 if line % 2 else 0]) % 12]
        if s.stress == 1 or s.line_end:
            candidates = register[np.isin(register % 12, chord)]
            p = int(candidates[np.argmin(np.abs(candidates - prev))])
        else:
            nearest = int(np.argmin(np.abs(in_scale - prev)))
            p = int(in_scale[min(nearest + 1, len(in_scale) - 1)])
        on.append(t)
        dur.append(length)
        pitch.append(p)
        prev = p
        t += length
    return np.array(on), np.array(dur), np.array(pitch)


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Overlap of two histograms (each normalised to 1)."""
    return float(np.minimum(a / a.sum(), b / b.sum()).sum())


def pitch_hist(pitch: np.ndarray) -> np.ndarray:
    centred = np.clip(np.rint(pitch - pitch.mean()).astype(int) + 24, 0, 48)
    return np.bincount(centred, minlength=49).astype(float)


def dur_hist(dur: np.ndarray) -> np.ndarray:
    return np.bincount(np.clip(dur, 1, 33), minlength=34).astype(float)


def dtw(a: np.ndarray, b: np.ndarray) -> float:
    """DTW distance of mean-centred pitch sequences per step of the warping path."""
    a, b = a - a.mean(), b - b.mean()
    n, m = len(a), len(b)
    cost = np.abs(a[:, None] - b[None, :])
    acc = np.full((n + 1, m + 1), np.inf)
    steps = np.zeros((n + 1, m + 1))
    acc[0, 0] = 0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = (acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
            k = int(np.argmin(options))
            prev = ((i - 1, j - 1), (i - 1, j), (i, j - 1))[k]
            acc[i, j] = cost[i - 1, j - 1] + options[k]
            steps[i, j] = steps[prev] + 1
    return float(acc[n, m] / steps[n, m])


def aligned(path: Path, texts: list[str]) -> bool:
    """Every syllable a lyric event, in order, each on a note onset, one per note."""
    from symbolic.score import load

    voice = load(path).tracks[0]
    onsets = voice.notes.numpy()["time"]
    times = [ev.time for ev in voice.lyrics]
    return (
        [ev.text for ev in voice.lyrics] == texts
        and len(times) == len(onsets)
        and bool(np.all(np.asarray(times) == onsets))
    )


def judge(
    songs: list[dict], melodies: list[tuple], folder: Path | None, own: list[dict] | None = None
) -> dict:
    """The figures of the module doc for one system: melodies compared with `songs`' real
    ones, and judged (stress, key, alignment) against the lyrics they were made for (`own`)."""
    from symbolic.score import save_midi
    from symbolic.tasks.lyric2melody import melody_score

    pd, dd, md, beat, accent, key, ranged, ok = [], [], [], [], [], [], [], []
    pooled = {"pitch": [np.zeros(49), np.zeros(49)], "dur": [np.zeros(34), np.zeros(34)]}
    weights = METER.weights()
    for i, (song, made_for, (on, dur, pitch)) in enumerate(
        zip(songs, own or songs, melodies, strict=True)
    ):
        _, real_dur, real_pitch = song["real"]
        pd.append(overlap(pitch_hist(pitch), pitch_hist(real_pitch)))
        dd.append(overlap(dur_hist(dur), dur_hist(real_dur)))
        md.append(dtw(pitch.astype(float), real_pitch.astype(float)))
        for k, hist in (("pitch", pitch_hist), ("dur", dur_hist)):
            ours, theirs = (
                (hist(pitch), hist(real_pitch)) if k == "pitch" else (hist(dur), hist(real_dur))
            )
            pooled[k][0] += ours / ours.sum()
            pooled[k][1] += theirs / theirs.sum()
        stressed = np.array([s.stress == 1 for s in made_for["slots"]])
        w = weights[np.asarray(on) % METER.bar_16ths]
        beat += (w[stressed] >= 2).tolist()
        accent += (w[stressed] >= 3).tolist()
        key += [
            scale_degree(int(p), made_for["tonic"], made_for["mode"]) is not None for p in pitch
        ]
        ranged.append(int(pitch.max() - pitch.min()) <= 18)
        if folder is not None:
            score = melody_score(on, dur, pitch, song["texts"], 0, "major", METER, 100)
            path = save_midi(score, folder / f"{i}.mid")
            ok.append(aligned(path, song["texts"]))
    return {
        "alignment": f"{np.mean(ok):.0%}" if ok else "n/a",
        "PD song": f"{np.mean(pd):.3f}",
        "PD all": f"{overlap(*pooled['pitch']):.3f}",
        "DD song": f"{np.mean(dd):.3f}",
        "DD all": f"{overlap(*pooled['dur']):.3f}",
        "MD": f"{np.mean(md):.2f}",
        "stressed on beat": f"{np.mean(beat):.1%}",
        "stressed on accent": f"{np.mean(accent):.1%}",
        "in key": f"{np.mean(key):.1%}",
        "range ≤ 18": f"{np.mean(ranged):.0%}",
    }


def cold_run(folder: Path, model: str) -> tuple[float, float, float]:
    """Wall time of `symgen lyric2melody` on the 8-line verse in a fresh process, its sampling
    time, and the wall time of a process that only imports torch (the floor on this machine)."""
    import json

    lyrics = folder / "verse.txt"
    lyrics.write_text(VERSE)
    symgen = Path(sys.executable).with_name("symgen")
    cmd = [str(symgen), "lyric2melody", "--lyrics-file", str(lyrics), "-o", str(folder / "v.mid")]
    cmd += ["--model", model]
    start = time.perf_counter()
    res = subprocess.run([*cmd, "--json"], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return wall, json.loads(res.stdout)["timings"]["sample"], time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=60)
    parser.add_argument("--max-syllables", type=int, default=128)
    parser.add_argument("--model", default="lyric2melody")
    parser.add_argument("--runs", type=int, default=3, help="cold runs for the speed figure")
    parser.add_argument("--temperature", type=float, help="default: the task's")
    parser.add_argument("--ablation", action="store_true", help="also the model without priors")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    from symbolic.models.checkpoint import load_model
    from symbolic.tasks.lyric2melody import (
        REPEAT_PENALTY,
        STRESS_BIAS,
        TEMPERATURE,
        compose,
        tonic_pitch,
    )

    temperature = TEMPERATURE if args.temperature is None else args.temperature

    songs = val_songs(2 * args.songs, args.max_syllables)
    songs, others = songs[: args.songs], songs[args.songs :]
    lm = load_model(args.model)

    def sing(stress_bias: float, repeat_penalty: float) -> tuple[list[tuple], float]:
        started = time.perf_counter()
        out = []
        for i, song in enumerate(songs):
            tl = compose(
                lm,
                song["slots"],
                song["mode"],
                METER,
                i,
                stress_bias=stress_bias,
                repeat_penalty=repeat_penalty,
                temperature=temperature,
            )
            ref = tonic_pitch(song["tonic"])
            out.append((np.array(tl.onset), np.array(tl.duration), ref + np.array(tl.pitch)))
        return out, time.perf_counter() - started

    generated, sample_s = sing(STRESS_BIAS, REPEAT_PENALTY)
    rules = [rule_melody(s["slots"], s["tonic"], s["mode"], METER) for s in songs]
    real = [s["real"] for s in songs]
    with tempfile.TemporaryDirectory() as tmp:
        name = f"model (priors: stress {STRESS_BIAS:g}, repeat {REPEAT_PENALTY:g})"
        rows = {name: judge(songs, generated, Path(tmp))}
        if args.ablation:
            rows["model without priors"] = judge(songs, sing(0.0, 0.0)[0], Path(tmp))
        rows |= {
            "rule-only baseline": judge(songs, rules, Path(tmp)),
            "real melody": judge(songs, real, None),
            "real vs another real song": judge(songs, [o["real"] for o in others], None, others),
        }
        cold = [cold_run(Path(tmp), args.model) for _ in range(args.runs)]
    columns = list(next(iter(rows.values())))
    table = [["system", *columns]] + [[name, *r.values()] for name, r in rows.items()]
    syllables = sum(len(s["slots"]) for s in songs)
    notes = (
        f"{len(songs)} validation songs (whole lines, at most {args.max_syllables} syllables each, "
        f"{syllables} syllables), model `{args.model}`, 4/4, temperature {temperature:g}, "
        "top-p 0.95, seed = "
        "song index. "
        f"Sampling: {sample_s:.1f} s in all ({1000 * sample_s / syllables:.1f} ms per syllable). "
        f"Cold process, {VERSE.count(chr(10)) + 1} lines of our own verse: median "
        f"{statistics.median(c[0] for c in cold):.2f} s wall over {args.runs} runs, of which "
        f"sampling {statistics.median(c[1] for c in cold):.2f} s; `python -c 'import torch'` "
        f"alone: {statistics.median(c[2] for c in cold):.2f} s (machine load at the time: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)."
    )
    report("lyric2melody: held-out lyrics_melody songs", table, notes, args.record)


if __name__ == "__main__":
    main()

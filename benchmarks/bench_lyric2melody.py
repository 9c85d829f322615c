"""lyric2melody on held-out songs: the model, a rule-only baseline, real melodies.

Two sets, each split by a hash of the song id (`symbolic.data.lyric_shards.lyric_split`):
OpenEWLD lead sheets (real bars and meters) and lyrics_melody songs (line-aligned in 4/4, as
in training). Validation songs are only reported; dev songs are where the temperature is
chosen (`--split dev --temperatures 0.9,1.0,1.1`); neither is trained on. Each song's syllables
(stress, place in word and line) are set by the model (the song's meter and mode) and by the
rules below, and compared with the real melody of the same lyrics:

- alignment: the MIDI written with the song's syllables as lyric events, read back: one event
  per note, in order, each on a note onset (share of songs where all hold);
- PD / DD: overlap of the pitch histograms (each centred on its own mean pitch) and of the
  duration histograms (16ths), per song (mean) and pooled over all songs; MD: dynamic time
  warping distance of the mean-centred pitch sequences, per aligned note (semitones);
- stressed syllables on a beat (metrical weight ≥ 2) and on an accent (≥ 3), notes in the key
  (diatonic; harmonic minor's leading tone counts), songs whose range is ≤ 18 semitones;
- line ends on a beat or held: line-final syllables on a beat (weight ≥ 2) or a beat long;
- bars: the share of songs whose melody spans 0.67–1.5× the bars of the real one;
- median in voice: songs whose median pitch lies inside the default (middle) voice's range;

The model rows are sampled as `symgen lyric2melody` does: the model plans each line's bars and
the writer keeps the line's notes inside them, and pitches inside the middle voice. The "raw"
row samples the same model without either (the plan is still sampled, not kept).
- "real vs another real song" pairs each song with another one of the same split (the next
  ones in file order, outside the judged set): the reference a generated melody should reach.

Rule-only baseline (skeleton and template rules alone): every line starts on a downbeat;
stressed syllables go to the next beat, others to the next 8th; a line's last syllable lasts to
the end of its bar; one chord per bar cycling I–IV–V–I (minor i–iv–v–i); stressed syllables
take the chord tone nearest the previous note, others the scale step toward it; lines end on
the tonic, every other line on the fifth (half cadence).

Speed: `symgen lyric2melody` on an 8-line verse (our own text) in a cold process.

    python benchmarks/bench_lyric2melody.py [--songs 100] [--max-syllables 128] [--record]
    (--ablation adds the model sampled without the stress and repetition priors)
    python benchmarks/bench_lyric2melody.py --split dev --temperatures 0.9,1.0,1.1,1.2 \
        --plan-temperatures 0.3,0.5,1.0
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import report  # noqa: E402

from symbolic.data.lyric_shards import lyric_split  # noqa: E402
from symbolic.data.lyric_sheets import sheet_song  # noqa: E402
from symbolic.data.lyric_songs import iter_songs, song_to_melody, syllable_stresses  # noqa: E402
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


def _cut(
    song: dict, is_line_end: np.ndarray, max_syllables: int, min_syllables: int
) -> dict | None:
    """`song` cut to its whole lines within `max_syllables`; None when under `min_syllables`."""
    ends = np.flatnonzero(is_line_end) + 1
    fit = ends[ends <= max_syllables]
    n = int(fit[-1]) if len(fit) else 0
    if n < min_syllables:
        return None
    on16, dur16, pitch = song["real"]
    bar = song["meter"].bar_16ths
    song["real"] = (on16[:n] - (on16[0] // bar) * bar, dur16[:n], pitch[:n])
    song["slots"], song["texts"] = song["slots"][:n], song["texts"][:n]
    return song


def lmd_songs(split: str, count: int, max_syllables: int, min_syllables: int = 16) -> list[dict]:
    """The first `count` lyrics_melody songs of `split`, cut to whole lines."""
    out = []
    for song in iter_songs():
        if lyric_split(f"lyrics_melody/{song['id']}") != split:
            continue
        try:
            melody, info = song_to_melody(song, align="line", meter=METER)
        except Exception:  # a record without notes
            continue
        tonic, mode, _ = best_key(pitch_class_histogram(melody.pitch, melody.duration))
        texts = [  # in memory only, for the alignment check
            syl + ("" if k == len(w["syllables"]) - 1 else "-")
            for line in song["lines"]
            for w in line
            if w.get("notes")
            for k, syl in enumerate(w["syllables"])
        ]
        slots = syllable_slots(
            syllable_stresses(song), info.index_in_word, info.word_len, info.line_index
        )
        record = {"slots": slots, "texts": texts, "tonic": tonic, "mode": mode, "meter": METER}
        record["real"] = (*melody.grid(), melody.pitch)
        if _cut(record, info.is_line_end, max_syllables, min_syllables):
            out.append(record)
        if len(out) == count:
            break
    return out


def sheet_songs(split: str, count: int, max_syllables: int, min_syllables: int = 16) -> list[dict]:
    """The first `count` sung OpenEWLD lead sheets of `split`, cut to whole lines."""
    from symbolic.data.sources import iter_source
    from symbolic.paths import data_root

    out = []
    for piece in iter_source("openewld", data_root()):
        if lyric_split(piece.id) != split or (song := sheet_song(piece)) is None:
            continue
        info = song.info
        texts = [t.strip("-") for t in song.texts]
        texts = [t + ("" if info.index_in_word[i] == info.word_len[i] - 1 else "-")
                 for i, t in enumerate(texts)]  # fmt: skip
        slots = syllable_slots(song.stress, info.index_in_word, info.word_len, info.line_index)
        record = {"slots": slots, "texts": texts, "tonic": song.tonic, "mode": song.mode}
        record |= {"meter": song.meter, "real": (*song.melody.grid(), song.melody.pitch)}
        if _cut(record, info.is_line_end, max_syllables, min_syllables):
            out.append(record)
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
    from symbolic.theory.voicing import VOICE_RANGES

    pd, dd, md, beat, accent, key, ranged, ok = [], [], [], [], [], [], [], []
    bars_ok, in_voice, ends_held = [], [], []
    pooled = {"pitch": [np.zeros(49), np.zeros(49)], "dur": [np.zeros(34), np.zeros(34)]}
    low, high = VOICE_RANGES["middle"]
    for i, (song, made_for, (on, dur, pitch)) in enumerate(
        zip(songs, own or songs, melodies, strict=True)
    ):
        real_on, real_dur, real_pitch = song["real"]
        meter = made_for["meter"]
        ratio = bar_span(on, dur, meter) / bar_span(*made_for["real"][:2], meter)
        bars_ok.append(0.67 <= ratio <= 1.5)
        in_voice.append(low <= np.median(pitch) <= high)
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
        w = meter.weights()[np.asarray(on) % meter.bar_16ths]
        last = np.array([s.line_end for s in made_for["slots"]])
        ends_held += ((w[last] >= 2) | (np.asarray(dur)[last] >= meter.beat_16ths)).tolist()
        beat += (w[stressed] >= 2).tolist()
        accent += (w[stressed] >= 3).tolist()
        key += [
            scale_degree(int(p), made_for["tonic"], made_for["mode"]) is not None for p in pitch
        ]
        ranged.append(int(pitch.max() - pitch.min()) <= 18)
        if folder is not None:
            score = melody_score(on, dur, pitch, song["texts"], 0, "major", meter, 100)
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
        "line ends on a beat or held": f"{np.mean(ends_held):.0%}",
        "bars 0.67–1.5×": f"{np.mean(bars_ok):.0%}",
        "median in voice": f"{np.mean(in_voice):.0%}",
    }


def bar_span(on16: np.ndarray, dur16: np.ndarray, meter: Meter) -> int:
    """Bars from the first note's bar to the last note's end."""
    bar = meter.bar_16ths
    return int(-(-(on16[-1] + dur16[-1]) // bar) - on16[0] // bar)


def print_rates() -> None:
    """Median syllables per bar (first note's bar to last note's end) of the training lead
    sheets, per meter: `symbolic.tasks.lyric2melody.SYLLABLES_PER_BAR`."""
    rates: dict[str, list[float]] = {}
    for song in sheet_songs("train", 10_000, 10_000):
        on, dur, _ = song["real"]
        span = bar_span(np.asarray(on), np.asarray(dur), song["meter"])
        rates.setdefault(str(song["meter"]), []).append(len(song["slots"]) / span)
    for meter, values in sorted(rates.items(), key=lambda item: -len(item[1])):
        print(f"{meter}: {np.median(values):.2f} syllables per bar ({len(values)} songs)")


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
    parser.add_argument("--songs", type=int, default=100, help="per set")
    parser.add_argument("--max-syllables", type=int, default=128)
    parser.add_argument("--model", default="lyric2melody")
    parser.add_argument("--split", choices=["val", "dev"], default="val")
    parser.add_argument("--runs", type=int, default=3, help="cold runs for the speed figure")
    parser.add_argument("--temperatures", help="comma list to compare (e.g. on dev)")
    parser.add_argument("--plan-temperatures", help="comma list of Bars_k temperatures")
    parser.add_argument("--plan-priors", help="comma list of plan prior weights")
    parser.add_argument(
        "--rates", action="store_true", help="print the training sheets' syllables per bar"
    )
    parser.add_argument("--sets", choices=["OpenEWLD", "lyrics_melody", "both"], default="both")
    parser.add_argument("--ablation", action="store_true", help="also the model without priors")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    if args.rates:
        print_rates()
        return

    from symbolic.models.checkpoint import load_model
    from symbolic.tasks.lyric2melody import (
        PLAN_PRIOR,
        PLAN_TEMPERATURE,
        REPEAT_PENALTY,
        STRESS_BIAS,
        TEMPERATURE,
        compose,
        tonic_pitch,
        voice_window,
    )

    temperatures = [float(t) for t in (args.temperatures or str(TEMPERATURE)).split(",")]
    plans = [float(t) for t in (args.plan_temperatures or str(PLAN_TEMPERATURE)).split(",")]
    priors = [float(w) for w in (args.plan_priors or str(PLAN_PRIOR)).split(",")]
    runs = [(t, plan, w) for t in temperatures for plan in plans for w in priors]
    lm = load_model(args.model)
    readers = {"OpenEWLD lead sheets": sheet_songs, "lyrics_melody songs": lmd_songs}
    sets = {
        title: read(args.split, 2 * args.songs, args.max_syllables)
        for title, read in readers.items()
        if args.sets == "both" or title.startswith(args.sets)
    }

    def sing(
        songs: list[dict],
        temperature: float,
        priors: bool = True,
        writer: bool = True,
        plan: float | None = PLAN_TEMPERATURE,
        plan_prior: float = PLAN_PRIOR,
    ) -> tuple[list, float]:
        started = time.perf_counter()
        out = []
        for i, song in enumerate(songs):
            tl = compose(
                lm,
                song["slots"],
                song["mode"],
                song["meter"],
                i,
                stress_bias=STRESS_BIAS if priors else 0.0,
                repeat_penalty=REPEAT_PENALTY if priors else 0.0,
                temperature=temperature,
                window=voice_window(song["tonic"], "middle") if writer else None,
                keep_plan=writer,
                plan_temperature=plan,
                plan_prior=plan_prior,
            )
            ref = tonic_pitch(song["tonic"])
            out.append((np.array(tl.onset), np.array(tl.duration), ref + np.array(tl.pitch)))
        return out, time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        for title, pool in sets.items():
            half = min(args.songs, len(pool) // 2)
            songs, others = pool[:half], pool[half : 2 * half]
            rows, seconds = {}, 0.0
            for t, plan, w in runs:
                made, spent = sing(songs, t, plan=plan, plan_prior=w)
                seconds += spent
                name = f"model, temperature {t:g}, plan temperature {plan:g}, plan prior {w:g}"
                rows[name] = judge(songs, made, Path(tmp))
            raw = sing(songs, temperatures[0], writer=False, plan=None, plan_prior=0.0)[0]
            rows["model raw (plan sampled as is, not kept; any register)"] = judge(
                songs, raw, Path(tmp)
            )
            if args.ablation:
                rows["model without priors"] = judge(
                    songs, sing(songs, temperatures[0], False)[0], Path(tmp)
                )
            rules = [rule_melody(s["slots"], s["tonic"], s["mode"], s["meter"]) for s in songs]
            rows |= {
                "rule-only baseline": judge(songs, rules, Path(tmp)),
                "real melody": judge(songs, [s["real"] for s in songs], None),
                "real vs another real song": judge(
                    songs, [o["real"] for o in others], None, others
                ),
            }
            meters = ", ".join(
                f"{m} {n}" for m, n in Counter(str(s["meter"]) for s in songs).most_common()
            )
            syllables = sum(len(s["slots"]) for s in songs)
            notes = (
                f"{len(songs)} {args.split} songs (whole lines, at most {args.max_syllables} "
                f"syllables each, {syllables} syllables; meters: {meters}), model "
                f"`{args.model}`, top-p 0.95, priors: stress {STRESS_BIAS:g}, repeat "
                f"{REPEAT_PENALTY:g}, seed = song index, middle voice. Sampling: "
                f"{seconds:.1f} s in all ({1000 * seconds / syllables / len(runs):.1f} ms "
                "per syllable)."
            )
            if title.startswith("lyrics") and args.split == "val":
                cold = [cold_run(Path(tmp), args.model) for _ in range(args.runs)]
                notes += (
                    f" Cold process, {VERSE.count(chr(10)) + 1} lines of our own verse: median "
                    f"{statistics.median(c[0] for c in cold):.2f} s wall over {args.runs} runs, "
                    f"of which sampling {statistics.median(c[1] for c in cold):.2f} s; `python -c "
                    f"'import torch'` alone: {statistics.median(c[2] for c in cold):.2f} s "
                    f"(machine load: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)."
                )
            columns = list(next(iter(rows.values())))
            table = [["system", *columns]] + [[name, *r.values()] for name, r in rows.items()]
            report(f"lyric2melody: {args.split} {title}", table, notes, args.record)


if __name__ == "__main__":
    main()

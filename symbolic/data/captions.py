"""MidiCaps-style captions from a piece's extracted features, and their sentence embeddings.

A caption names some of: style (from the source; for the sources of many styles, groove, band
and openewld, from the record's own style), key, tempo (a bpm number or a word whose
range holds it), meter, instruments, mood (from mode and tempo), dynamics (performed pieces
only), density, length and the opening chords, in varied wording and order. Each attribute is
left out now and then, so the text2midi model learns to fill what a prompt leaves open.
`write_captions` stores K variants per piece as embeddings beside the shards
(`captions.{split}.npy`, float16, pieces × K × 384).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from symbolic.theory.chords import parse_chord
from symbolic.theory.gm import DRUMS, PROGRAM_NAMES

VARIANTS = 8
KEEP = {"style": 0.9, "key": 0.75, "tempo": 0.7, "meter": 0.6, "instruments": 0.75, "mood": 0.4,
        "density": 0.25, "length": 0.3, "chords": 0.3, "dynamics": 0.5}  # fmt: skip
# how loud a performed piece plays (median velocity below 64, above 96, between); a piece with
# one velocity everywhere (converted from notation) gets no dynamics words
DYNAMICS = {
    "soft": ("played softly", "soft", "quiet", "gentle dynamics"),
    "loud": ("loud", "played hard", "powerful and loud", "with loud dynamics"),
    "medium": ("with expressive dynamics", "with dynamics", "with a human feel"),
}
PERFORMED_SPREAD = 6.0  # velocity standard deviation from which a piece counts as performed

STYLE_PHRASES: dict[str, tuple[str, ...]] = {
    "chorales": ("a Bach chorale", "a four-part chorale", "a baroque chorale harmonisation",
                 "a chorale in the style of Bach", "a hymn for four voices"),
    "palestrina": ("a renaissance motet", "renaissance polyphony", "a piece in the style of "
                   "Palestrina", "a sacred renaissance choral piece",
                   "a renaissance mass movement"),
    "monteverdi": ("a madrigal", "an Italian madrigal", "a five-voice madrigal",
                   "a late renaissance madrigal"),
    "quartets": ("a string quartet", "a classical string quartet movement", "chamber music for "
                 "strings", "a classical piece"),
    "pop909": ("a pop song", "a pop ballad", "a Chinese pop song", "a piano pop arrangement",
               "a mandopop ballad", "a pop tune"),
    "nottingham": ("a folk tune", "an English folk dance tune", "a traditional folk melody",
                   "a folk song with chords", "a fiddle tune"),
    "wjazzd": ("a jazz solo", "a jazz piece", "a bebop tune", "a swing jazz combo piece",
               "straight-ahead jazz", "a jazz improvisation over a rhythm section"),
    "folk": ("a folk tune", "a traditional folk melody"),
    # sources of many styles: {style} is the record's style in STYLE_WORDING's words (none:
    # left out), {beat} a Groove record's beat or fill; "drum" phrases only where drums play
    "groove": ("a {style} drum {beat}", "a {style} {beat} on a drum kit", "{style} drums",
               "a {style} {beat} played by a drummer", "a {style} {beat} played on drums"),
    "band": ("a {style} song with drums and bass", "a {style} band arrangement",
             "a {style} track for a band", "{style} music played by a band",
             "a {style} tune for a full band with drums"),
    "openewld": ("a {style} standard lead sheet with chords", "a {style} lead sheet with chords",
                 "a {style} tune with chord symbols", "a {style} song: melody and chords",
                 "a {style} melody over chord changes"),
}  # fmt: skip
# a style label → the words a caption says it in (others: the label itself)
STYLE_WORDING: dict[str, tuple[str, ...]] = {
    "hip-hop": ("hip-hop", "hip hop"), "latin": ("Latin",), "afro-cuban": ("Afro-Cuban",),
    "electronic": ("electronic", "EDM"), "soul": ("soul", "R&B"), "funk": ("funk", "funky"),
    "metal": ("metal", "heavy metal"), "boogie": ("boogie-woogie",), "world": ("world music",),
}  # fmt: skip
METER_WORDS = {"3/4": ("waltz",), "6/8": ("jig",), "9/8": ("slip jig",), "2/4": ("march",)}
MOODS = {  # (minor, fast) → words
    (True, False): ("sad", "melancholic", "mournful", "wistful"),
    (True, True): ("dark", "tense", "dramatic", "driving"),
    (False, False): ("calm", "peaceful", "gentle", "tender"),
    (False, True): ("happy", "cheerful", "joyful", "energetic", "bright"),
}


def _key_text(key: str, rng: np.random.Generator) -> str:
    minor = key.endswith("m")
    tonic = key[:-1] if minor else key
    tonic_words = tonic.replace("b", "-flat" if rng.random() < 0.3 else "b")
    tonic_words = tonic_words.replace("#", " sharp" if rng.random() < 0.3 else "#")
    mode = "minor" if minor else "major"
    return str(
        rng.choice(
            [f"in {tonic_words} {mode}", f"in the key of {tonic_words} {mode}",
             f"{tonic_words} {mode}", f"key: {tonic_words} {mode}"]
        )
    )  # fmt: skip


def _tempo_text(bpm: float, rng: np.random.Generator) -> str:
    from symbolic.prompt import TEMPO_WORDS

    words = [w for w, (lo, hi, _) in TEMPO_WORDS.items() if lo <= bpm <= hi]
    if words and rng.random() < 0.5:
        word = str(rng.choice(words))
        plain = word.endswith("tempo")
        phrases = [word, _article(f"at a {word} tempo"), f"{word} tempo"]
        return word if plain else str(rng.choice(phrases))
    b = round(bpm)
    return str(rng.choice([f"at {b} bpm", f"{b} BPM", f"tempo {b}", f"at {b} beats per minute"]))


def _instruments_text(programs: list[int], rng: np.random.Generator) -> str:
    names = [
        "drums" if p == DRUMS else re.sub(r"\s*\(.*\)|\s\d$", "", PROGRAM_NAMES[p]).lower()
        for p in dict.fromkeys(programs)
    ]
    rng.shuffle(names)
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return str(rng.choice([f"for {listed}", f"with {listed}", f"featuring {listed}",
                           f"played by {listed}", f"instruments: {listed}"]))  # fmt: skip


def chord_symbol(label: str) -> str:
    """POP909 "C:min7/b3" or WJazzD "C-7" → "Cm7"; "" for no chord or an unreadable label."""
    try:
        chord = parse_chord(label.split("/")[0], jazz_tensions=":" not in label)
    except ValueError:
        return ""
    return "" if chord is None else chord.symbol


def _opening_chords(record: dict) -> list[str]:
    chords = []
    for item in record.get("chords") or []:
        symbol = chord_symbol(item[2] if isinstance(item, list) else item)
        if symbol and (not chords or chords[-1] != symbol):
            chords.append(symbol)
        if len(chords) == 4:
            break
    return chords


def _styled(template: str, record: dict, rng: np.random.Generator) -> str:
    """A phrase template of a many-style source filled from the record: its style in words
    ("a funk drum groove", "an Afro-Cuban drum fill", "a jazz standard lead sheet with
    chords"); a template that names drums gives way to one that does not when none play."""
    source = record.get("source", "")
    if DRUMS not in (record.get("programs") or [DRUMS]) and "drum" in template:
        template = str(rng.choice([t for t in STYLE_PHRASES[source] if "drum" not in t]))
    label = str(record.get("style") or "")
    words = str(rng.choice(STYLE_WORDING.get(label, (label,)))) if label else ""
    beat = "fill" if record.get("beat_type") == "fill" else "groove"
    text = template.format(style=words, beat=beat)
    return _article(re.sub(r"\s+", " ", text).strip())


def _article(text: str) -> str:
    """Write "an" before a vowel sound ("an Afro-Cuban drum fill", "an energetic ...")."""
    return re.sub(r"\ba (?=[aeiouAEIOU]|R&B)", "an ", text)


def caption(record: dict, rng: np.random.Generator) -> tuple[str, list[str]]:
    """One caption for a piece's meta record (a row of meta.jsonl), and the attributes it names
    besides the style (in caption order)."""
    minor = str(record.get("key") or "").endswith("m")
    tempo = float(record.get("tempo") or 120)
    clauses: dict[str, str] = {}
    drums_only = set(record.get("programs") or ()) == {DRUMS}
    if record.get("key") and not drums_only:  # a drum groove's "key" is a placeholder
        clauses["key"] = _key_text(record["key"], rng)
    clauses["tempo"] = _tempo_text(tempo, rng)
    meter = record.get("meter") or "4/4"
    words = METER_WORDS.get(meter)
    clauses["meter"] = (
        f"like a {rng.choice(words)}" if words and rng.random() < 0.3
        else str(rng.choice([f"in {meter}", f"in {meter} time", f"{meter} meter"]))
    )  # fmt: skip
    if record.get("programs"):
        clauses["instruments"] = _instruments_text(record["programs"], rng)
    if float(record.get("velocity_spread") or 0) >= PERFORMED_SPREAD:
        velocity = float(record["velocity"])
        level = "soft" if velocity < 64 else "loud" if velocity > 96 else "medium"
        clauses["dynamics"] = str(rng.choice(DYNAMICS[level]))
    density = float(record.get("density") or 0)
    clauses["density"] = "with sparse texture" if density < 8 else "with a dense texture"
    clauses["length"] = f"{record.get('bars', 16)} bars long"
    chords = _opening_chords(record)
    if chords:
        clauses["chords"] = "chords " + " ".join(chords)
    kept = [name for name in clauses if rng.random() < KEEP[name]]
    order = rng.permutation(len(kept))
    body = ", ".join(clauses[kept[i]] for i in order)
    style = str(rng.choice(STYLE_PHRASES.get(record.get("source", ""), ("a piece",))))
    styled = "{" in style
    if styled:
        style = _styled(style, record, rng)
    if rng.random() >= KEEP["style"]:
        style = str(rng.choice(["a piece", "music", "a composition", "something"]))
    if rng.random() < KEEP["mood"]:
        mood = rng.choice(MOODS[(minor, tempo >= 116)])
        first, _, rest = style.partition(" ")
        style = f"a {mood} {rest}" if first in ("a", "an") else f"{mood} {style}"
        style = _article(style) if styled else style  # the old sources' captions stay as they were
    joiner = " " if re.match(r"(in|with|for|at|featuring|played|like) ", body) else ", "
    text = f"{style}{joiner}{body}" if body else style
    named = [kept[i] for i in order]
    return text[0].upper() + text[1:] + ("." if rng.random() < 0.5 else ""), named


def write_captions(
    folder: str | Path,
    embed: Callable[[list[str]], np.ndarray],
    variants: int = VARIANTS,
    seed: int = 0,
) -> dict:
    """Caption every piece of a built shard folder `variants` times; store the embeddings that
    `embed` (the text encoder, passed in by the caller: data imports no models) gives them."""
    folder = Path(folder)
    records = [json.loads(line) for line in (folder / "meta.jsonl").open(encoding="utf-8")]
    counts = {}
    for split in ("train", "val"):
        rows = [r for r in records if r["split"] == split]
        texts = [
            caption(r, np.random.default_rng((seed, i, v)))[0]
            for i, r in enumerate(rows)
            for v in range(variants)
        ]
        emb = embed(texts).astype(np.float16).reshape(len(rows), variants, -1)
        np.save(folder / f"captions.{split}.npy", emb)
        with (folder / f"captions.{split}.jsonl").open("w", encoding="utf-8") as fh:
            for i, row in enumerate(rows):
                own = texts[i * variants : (i + 1) * variants]
                fh.write(json.dumps({"id": row["id"], "captions": own}) + "\n")
        counts[split] = len(rows)
    return counts

"""Prompt → attributes: what a text prompt asks for (key, tempo, meter, instruments, length,
style, mood), parsed explicitly first (MuseCoco-style), the vague rest resolved with the
offline sentence encoder, and what is still open filled from the style's own defaults.

Decisions where the issue is silent (see also the tables below):

- Key names: one spelling per key, the one with the fewest accidentals, ties to sharps:
  C Db D Eb E F F# G Ab A Bb B and Cm C#m Dm D#m Em Fm F#m Gm G#m Am Bbm Bm. A key written
  another way (Gb, A#m) is respelled, with a note.
- Bare tonics: "in A", "key of E" count as keys only with an upper-case letter (or at the end of
  a sentence); "a sad song", "B-side", "C-pop", "E-piano" never do. Lower-case "a minor" is the
  key only when it ends a phrase ("in a minor", "a minor, at 90 bpm"); "a minor key" is mode only.
- Meter from forms: waltz/minuet/mazurka 3/4, jig 6/8, slip jig 9/8, slide 12/8, reel,
  hornpipe, strathspey 4/4, march and polka 2/4.
- Instruments: "guitar" → 25 (steel) but 26 (jazz guitar) in jazz; "bass" → 33 (electric) but
  32 (upright) in jazz and 52 (a sung bass) in vocal styles, likewise soprano/alto/tenor;
  "sax" → 66 (tenor); fiddle → 40 (violin, not GM 110); tin whistle → 78 (GM Whistle);
  synth → 81 (saw lead); choir/SATB/voices → four tracks of 52; "no drums" excludes.
  GM sound effects (120-127) are never matched from words.
- Empty prompt: not an error; the pop defaults, with a note saying so.
- An asked bpm wins over a tempo word; both are kept (the word's range in `tempo_range`);
  "100-110 bpm" gives 105 and that range; a bare bpm gives ±5% (the judge's tolerance).
- "jazz with drums" adds drums to the style's line-up; "drums only" does not.
- Defaults: 16 bars; sad/dark moods pick minor mode and, like calm/happy/energetic, shift
  the style's default tempo; the key itself is never invented (None = the model's choice).
- Typos: one word at a time, first letter kept, difflib cutoff 0.8 or one swapped pair, never
  for real English words (the encoder's WordPiece vocabulary) or key/mode words.
- Unknown styles go to the nearest known style by the sentence encoder (a static table when
  the encoder is off or missing); mood and tempo words also shift a filled-in tempo.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

from symbolic.gm import PROGRAM_NAMES

STYLES: tuple[str, ...] = (
    "chorale",
    "renaissance",
    "madrigal",
    "classical",
    "pop",
    "folk",
    "jazz",
    "song",
)
MOODS: tuple[str, ...] = ("happy", "sad", "calm", "energetic", "dark", "romantic")
DRUMS = 128
MAX_ENCODER_CHARS = 512  # the encoder sees at most this much (it truncates at 256 tokens anyway)
MIN_BPM, MAX_BPM = 20.0, 300.0
MAX_BARS = 256
MAX_TYPO_LOOKUPS = 200  # unknown words per prompt checked for typos (keeps long prompts fast)


def _split(words: str) -> list[str]:
    """A word list written as one string."""
    return words.split()


# ------------------------------------------------------------------------------ tempo words
# word → (lo, hi, default) in bpm. "slow" words stay ≤ 90 and "fast" words ≥ 116 (the judge).
TEMPO_WORDS: dict[str, tuple[float, float, float]] = {
    "grave": (25, 45, 40),
    "largo": (40, 60, 50),
    "larghetto": (60, 66, 63),
    "lento": (40, 60, 52),
    "adagio": (66, 76, 70),
    "adagietto": (70, 80, 75),
    "andante": (76, 108, 92),
    "andantino": (80, 108, 96),
    "moderato": (108, 120, 112),
    "allegretto": (100, 120, 112),
    "allegro": (120, 156, 132),
    "vivace": (156, 176, 164),
    "vivacissimo": (172, 190, 180),
    "presto": (168, 200, 180),
    "prestissimo": (200, 240, 208),
    "very slow": (40, 60, 52),
    "slow": (60, 90, 76),
    "laid-back": (70, 90, 82),
    "leisurely": (60, 88, 78),
    "relaxed tempo": (70, 90, 82),
    "downtempo": (60, 90, 80),
    "moderate": (90, 115, 104),
    "medium": (90, 115, 104),
    "mid-tempo": (90, 115, 104),
    "brisk": (116, 132, 124),
    "upbeat": (116, 140, 126),
    "uptempo": (120, 170, 140),
    "lively": (116, 150, 132),
    "quick": (116, 160, 136),
    "fast": (120, 160, 140),
    "very fast": (160, 208, 180),
}

# words and phrases that mean a tempo word (typos are handled separately)
_TEMPO_SYNONYMS: dict[str, str] = {
    "slowly": "slow",
    "slower": "slow",
    "laid back": "laid-back",
    "laidback": "laid-back",
    "very slowly": "very slow",
    "really slow": "very slow",
    "super slow": "very slow",
    "extremely slow": "very slow",
    "medium tempo": "medium",
    "mid tempo": "mid-tempo",
    "moderately": "moderate",
    "moderate tempo": "moderate",
    "not too fast": "moderate",
    "not too slow": "moderate",
    "up tempo": "uptempo",
    "up-tempo": "uptempo",
    "down tempo": "downtempo",
    "quickly": "quick",
    "rapid": "fast",
    "speedy": "fast",
    "faster": "fast",
    "really fast": "very fast",
    "super fast": "very fast",
    "extremely fast": "very fast",
    "breakneck": "very fast",
    # other languages
    "langsam": "slow",
    "lent": "slow",
    "lentement": "slow",
    "despacio": "slow",
    "schnell": "fast",
    "rapide": "fast",
    "rápido": "fast",
    "rapido": "fast",
    "mäßig": "moderate",
}

# ------------------------------------------------------------------------------ instruments
# phrase → GM programs (128 = drums). Multi-word phrases win over single words.
_INSTRUMENTS: dict[str, tuple[int, ...]] = {
    "piano": (0,),
    "grand piano": (0,),
    "acoustic piano": (0,),
    "upright piano": (0,),
    "keyboard": (0,),
    "keyboards": (0,),
    "honky tonk": (3,),
    "honky-tonk piano": (3,),
    "electric piano": (4,),
    "e-piano": (4,),
    "epiano": (4,),
    "rhodes": (4,),
    "fender rhodes": (4,),
    "wurlitzer": (4,),
    "harpsichord": (6,),
    "clavinet": (7,),
    "clav": (7,),
    "celesta": (8,),
    "glockenspiel": (9,),
    "music box": (10,),
    "vibraphone": (11,),
    "vibraharp": (11,),
    "marimba": (12,),
    "xylophone": (13,),
    "tubular bells": (14,),
    "chimes": (14,),
    "dulcimer": (15,),
    "organ": (16,),
    "hammond": (16,),
    "hammond organ": (16,),
    "jazz organ": (16,),
    "rock organ": (18,),
    "church organ": (19,),
    "pipe organ": (19,),
    "accordion": (21,),
    "harmonica": (22,),
    "bandoneon": (23,),
    "guitar": (25,),
    "acoustic guitar": (25,),
    "steel guitar": (25,),
    "classical guitar": (24,),
    "nylon guitar": (24,),
    "spanish guitar": (24,),
    "ukulele": (24,),
    "jazz guitar": (26,),
    "electric guitar": (27,),
    "clean guitar": (27,),
    "muted guitar": (28,),
    "overdriven guitar": (29,),
    "distorted guitar": (30,),
    "rock guitar": (30,),
    "bass": (33,),
    "bass guitar": (33,),
    "electric bass": (33,),
    "upright bass": (32,),
    "double bass": (32,),
    "acoustic bass": (32,),
    "string bass": (32,),
    "walking bass": (32,),
    "fretless bass": (35,),
    "slap bass": (36,),
    "synth bass": (38,),
    "violin": (40,),
    "fiddle": (40,),
    "viola": (41,),
    "cello": (42,),
    "violoncello": (42,),
    "contrabass": (43,),
    "pizzicato strings": (45,),
    "harp": (46,),
    "timpani": (47,),
    "strings": (48,),
    "string section": (48,),
    "string ensemble": (48,),
    "string orchestra": (48,),
    "string quartet": (40, 40, 41, 42),
    "string trio": (40, 41, 42),
    "piano trio": (0, 40, 42),
    "sax quartet": (64, 65, 66, 67),
    "saxophone quartet": (64, 65, 66, 67),
    "brass quintet": (56, 56, 60, 57, 58),
    "wind quintet": (73, 68, 71, 60, 70),
    "synth strings": (50,),
    "choir": (52, 52, 52, 52),
    "chorus": (52, 52, 52, 52),
    "satb": (52, 52, 52, 52),
    "voices": (52, 52, 52, 52),
    "vocal ensemble": (52, 52, 52, 52),
    "a cappella": (52, 52, 52, 52),
    "voice": (53,),
    "vocal": (53,),
    "vocals": (53,),
    "singer": (53,),
    "vocalist": (53,),
    "trumpet": (56,),
    "cornet": (56,),
    "flugelhorn": (56,),
    "trombone": (57,),
    "tuba": (58,),
    "muted trumpet": (59,),
    "french horn": (60,),
    "horn": (60,),
    "brass": (61,),
    "brass section": (61,),
    "horns": (61,),
    "saxophone": (66,),
    "sax": (66,),
    "soprano sax": (64,),
    "soprano saxophone": (64,),
    "alto sax": (65,),
    "alto saxophone": (65,),
    "tenor sax": (66,),
    "tenor saxophone": (66,),
    "baritone sax": (67,),
    "bari sax": (67,),
    "baritone saxophone": (67,),
    "oboe": (68,),
    "english horn": (69,),
    "cor anglais": (69,),
    "bassoon": (70,),
    "clarinet": (71,),
    "piccolo": (72,),
    "flute": (73,),
    "recorder": (74,),
    "pan flute": (75,),
    "pan pipes": (75,),
    "panpipes": (75,),
    "shakuhachi": (77,),
    "whistle": (78,),
    "tin whistle": (78,),
    "penny whistle": (78,),
    "ocarina": (79,),
    "synth": (81,),
    "synthesizer": (81,),
    "synth lead": (81,),
    "lead synth": (81,),
    "synth pad": (89,),
    "pad": (89,),
    "sitar": (104,),
    "banjo": (105,),
    "koto": (107,),
    "kalimba": (108,),
    "bagpipe": (109,),
    "bagpipes": (109,),
    "steel drums": (114,),
    "steel pan": (114,),
    "drums": (DRUMS,),
    "drum": (DRUMS,),
    "drum kit": (DRUMS,),
    "drumkit": (DRUMS,),
    "drum set": (DRUMS,),
    "drum machine": (DRUMS,),
    "percussion": (DRUMS,),
    "bass drum": (DRUMS,),
    "kick drum": (DRUMS,),
    "snare": (DRUMS,),
    "snare drum": (DRUMS,),
    "hi-hat": (DRUMS,),
    "cymbals": (DRUMS,),
    # words that depend on the style ("bass" in jazz is an upright bass, in a chorale a voice)
    "soprano": (64,),
    "alto": (65,),
    "tenor": (66,),
    "baritone": (67,),
    # other languages
    "klavier": (0,),
    "flügel": (0,),
    "geige": (40,),
    "violon": (40,),
    "violín": (40,),
    "gitarre": (25,),
    "guitare": (25,),
    "guitarra": (25,),
    "schlagzeug": (DRUMS,),
    "batterie": (DRUMS,),
    "batería": (DRUMS,),
    "flöte": (73,),
    "flûte": (73,),
    "flauta": (73,),
    "chor": (52, 52, 52, 52),
    "chœur": (52, 52, 52, 52),
    "coro": (52, 52, 52, 52),
    "kontrabass": (32,),
    "contrebasse": (32,),
    "contrabajo": (32,),
    "violoncelle": (42,),
    "violonchelo": (42,),
    "trompete": (56,),
    "trompette": (56,),
    "trompeta": (56,),
    "saxophon": (66,),
    "saxofón": (66,),
    "streichquartett": (40, 40, 41, 42),
    "quatuor à cordes": (40, 40, 41, 42),
    "cuarteto de cuerda": (40, 40, 41, 42),
}
# A generic word's program by the resolved style (words not listed keep their own).
_VOCAL_STYLES = ("chorale", "renaissance", "madrigal")
_CONTEXT_PROGRAMS: dict[str, dict[str, int]] = {
    "bass": {"jazz": 32, **dict.fromkeys(_VOCAL_STYLES, 52)},
    "guitar": {"jazz": 26},
    "soprano": dict.fromkeys(_VOCAL_STYLES, 52),
    "alto": dict.fromkeys(_VOCAL_STYLES, 52),
    "tenor": dict.fromkeys(_VOCAL_STYLES, 52),
    "baritone": dict.fromkeys(_VOCAL_STYLES, 52),
}

# ------------------------------------------------------------------------------ styles, forms
# phrase → (style, weight, meter or None). The strongest, then earliest, style word wins.
_STYLE_WORDS: dict[str, tuple[str, float, str | None]] = {
    "jazz": ("jazz", 2, None),
    "jazzy": ("jazz", 2, None),
    "swing": ("jazz", 2, None),
    "bebop": ("jazz", 2, None),
    "bop": ("jazz", 2, None),
    "hard bop": ("jazz", 2, None),
    "cool jazz": ("jazz", 2, None),
    "big band": ("jazz", 2, None),
    "blues": ("jazz", 2, None),
    "bluesy": ("jazz", 2, None),
    "jazz guitar": ("jazz", 1, None),
    "jazz organ": ("jazz", 1, None),
    "pop": ("pop", 2, None),
    "c-pop": ("pop", 2, None),
    "cpop": ("pop", 2, None),
    "chinese pop": ("pop", 2, None),
    "mandopop": ("pop", 2, None),
    "cantopop": ("pop", 2, None),
    "k-pop": ("pop", 2, None),
    "j-pop": ("pop", 2, None),
    "ballad": ("pop", 1, None),
    "folk": ("folk", 2, None),
    "folk song": ("folk", 2, None),
    "folk tune": ("folk", 2, None),
    "fiddle tune": ("folk", 1.5, None),
    "jig": ("folk", 1.5, "6/8"),
    "double jig": ("folk", 1.5, "6/8"),
    "slip jig": ("folk", 1.5, "9/8"),
    "reel": ("folk", 1.5, "4/4"),
    "hornpipe": ("folk", 1.5, "4/4"),
    "strathspey": ("folk", 1.5, "4/4"),
    "polka": ("folk", 1.5, "2/4"),
    "morris": ("folk", 1.5, None),
    "waltz": ("folk", 1, "3/4"),
    "march": ("folk", 1, "2/4"),
    "mazurka": ("folk", 1, "3/4"),
    "irish": ("folk", 1, None),
    "scottish": ("folk", 1, None),
    "celtic": ("folk", 1, None),
    "english folk": ("folk", 2, None),
    "chorale": ("chorale", 2, None),
    "choral": ("chorale", 1.5, None),
    "bach": ("chorale", 2, None),
    "hymn": ("chorale", 2, None),
    "baroque": ("chorale", 1.5, None),
    "four-part harmony": ("chorale", 1.5, None),
    "church": ("chorale", 1, None),
    "renaissance": ("renaissance", 2, None),
    "palestrina": ("renaissance", 2, None),
    "polyphony": ("renaissance", 1.5, None),
    "polyphonic": ("renaissance", 1.5, None),
    "motet": ("renaissance", 2, None),
    "mass": ("renaissance", 1, None),
    "madrigal": ("madrigal", 2, None),
    "monteverdi": ("madrigal", 2, None),
    "classical": ("classical", 2, None),
    "haydn": ("classical", 2, None),
    "mozart": ("classical", 2, None),
    "beethoven": ("classical", 2, None),
    "string quartet": ("classical", 1, None),
    "sonata": ("classical", 1, None),
    "minuet": ("classical", 1, "3/4"),
    **{w: ("classical", 1, None) for w in _split("concerto nocturne etude prelude rondo partita")},
    "fugue": ("chorale", 1, None),
    "chamber music": ("classical", 1.5, None),
    "song": ("song", 0.5, None),
    "songs": ("song", 0.5, None),
    "singer-songwriter": ("song", 2, None),
    "singer songwriter": ("song", 2, None),
    # other languages
    "volksmusik": ("folk", 2, None),
    "volkslied": ("folk", 2, None),
    "folklore": ("folk", 2, None),
    "klassisch": ("classical", 2, None),
    "classique": ("classical", 2, None),
    "clásica": ("classical", 2, None),
    "clásico": ("classical", 2, None),
    "walzer": ("folk", 1, "3/4"),
    "valse": ("folk", 1, "3/4"),
    "vals": ("folk", 1, "3/4"),
    "marsch": ("folk", 1, "2/4"),
    "lied": ("song", 1, None),
    "chanson": ("song", 1, None),
    "canción": ("song", 1, None),
}
# Styles the model never saw: recognised so that the literal words are reported, then mapped by
# the encoder; this table is the fallback when the encoder is off or cannot load.
_OTHER_STYLES: dict[str, str] = {
    "rock": "pop",
    "hip hop": "pop",
    "hip-hop": "pop",
    "hiphop": "pop",
    "rap": "pop",
    "trap": "pop",
    "techno": "pop",
    "house": "pop",
    "trance": "pop",
    "edm": "pop",
    "electronic": "pop",
    "disco": "pop",
    "metal": "pop",
    "heavy metal": "pop",
    "punk": "pop",
    "r&b": "pop",
    "rnb": "pop",
    "soul": "song",
    "reggae": "pop",
    "chiptune": "pop",
    "video game": "pop",
    "lo-fi": "jazz",
    "lofi": "jazz",
    "funk": "jazz",
    "bossa nova": "jazz",
    "samba": "jazz",
    "latin": "jazz",
    "tango": "folk",
    "ragtime": "jazz",
    "country": "folk",
    "bluegrass": "folk",
    "flamenco": "folk",
    "klezmer": "folk",
    "gospel": "chorale",
    "spiritual": "chorale",
    "medieval": "renaissance",
    "gregorian chant": "renaissance",
    "opera": "classical",
    "film score": "classical",
    "soundtrack": "classical",
    "cinematic": "classical",
    "orchestral": "classical",
    "symphony": "classical",
    "romantic era": "classical",
    "ambient": "classical",
    "new age": "classical",
    "minimalist": "classical",
    "grunge": "pop",
    "indie": "pop",
    "dubstep": "pop",
    "drum and bass": "pop",
    "synthwave": "pop",
    "vaporwave": "pop",
    "bollywood": "pop",
    "anime": "pop",
    "afrobeat": "pop",
    "salsa": "jazz",
    "motown": "jazz",
    "mariachi": "folk",
    "zydeco": "folk",
    "cumbia": "folk",
    "sea shanty": "folk",
    "shanty": "folk",
    "christmas carol": "chorale",
    "carol": "chorale",
    "barbershop": "chorale",
    "nursery rhyme": "song",
    "lullaby": "song",
    "doo-wop": "song",
}
# Exemplar phrases per style: an unknown style goes to the style of its nearest exemplar.
STYLE_EXEMPLARS: dict[str, tuple[str, ...]] = {
    "jazz": (
        "jazz",
        "swing jazz",
        "bebop",
        "blues",
        "bossa nova",
        "latin jazz with samba rhythms",
        "funk groove",
        "lounge music in a smoky night club",
        "saxophone solo over walking bass",
        "coffee shop jazz",
        "lo-fi beats with jazzy chords",
        "ragtime piano",
        "latin",
        "salsa",
        "motown soul",
    ),
    "pop": (
        "pop music",
        "catchy radio pop song",
        "rock band",
        "hip hop beat",
        "electronic dance music",
        "techno and house club music",
        "synth pop",
        "R&B",
        "Chinese pop ballad",
        "video game music",
        "disco",
        "heavy metal",
        "reggae",
        "chiptune 8-bit video game music",
        "dubstep and drum and bass",
        "grunge and indie rock",
        "Bollywood",
        "anime theme",
    ),
    "folk": (
        "folk music",
        "Irish fiddle tune",
        "country and bluegrass",
        "Celtic jig and reel",
        "traditional village dance",
        "flamenco guitar",
        "klezmer",
        "world music",
        "tango",
        "sea shanty",
        "mariachi band",
        "zydeco",
        "cumbia",
    ),
    "chorale": (
        "Bach chorale",
        "church hymn",
        "gospel choir",
        "spiritual",
        "sacred four-part harmony",
        "organ music in church",
        "christmas carol",
        "barbershop quartet",
    ),
    "renaissance": (
        "Renaissance polyphony",
        "medieval music",
        "Gregorian chant",
        "Palestrina mass",
        "early music in a cathedral",
    ),
    "madrigal": (
        "Italian madrigal",
        "Monteverdi",
        "Renaissance love song for five voices",
        "Elizabethan part-song",
    ),
    "classical": (
        "classical music",
        "string quartet by Mozart",
        "symphony orchestra",
        "film score",
        "cinematic soundtrack",
        "romantic era piano sonata",
        "opera",
        "ambient soundscape",
        "minimalist music",
        "new age",
    ),
    "song": (
        "singer-songwriter song with vocals",
        "a sung melody with lyrics",
        "soul singer",
        "acoustic ballad sung by a voice",
        "lullaby",
        "children's song",
        "nursery rhyme",
        "doo-wop",
    ),
}
# Instruments that hint at a style when the prompt names none (first hit wins).
_INSTRUMENT_STYLE_HINTS: tuple[tuple[frozenset[int], str], ...] = (
    (frozenset({52}), "chorale"),
    (frozenset({64, 65, 66, 67, 56, 57, 59}), "jazz"),
    (frozenset({78, 109, 105, 21, 22}), "folk"),
    (frozenset({41, 42}), "classical"),
    (frozenset({53}), "song"),
)

# ------------------------------------------------------------------------------ moods
_MOOD_WORDS: dict[str, str] = {
    **dict.fromkeys(
        _split(
            "happy joyful joyous cheerful bright uplifting sunny playful fun cheery merry "
            "jolly triumphant optimistic carefree festive"
        ),
        "happy",
    ),
    **dict.fromkeys(
        _split(
            "sad melancholy melancholic sorrowful mournful tragic gloomy blue heartbroken "
            "wistful nostalgic lonely depressing bittersweet"
        ),
        "sad",
    ),
    **dict.fromkeys(
        _split(
            "calm peaceful serene relaxing relaxed tranquil gentle soothing dreamy meditative "
            "quiet soft mellow chill chilled"
        ),
        "calm",
    ),
    **dict.fromkeys(
        _split(
            "energetic exciting intense powerful driving aggressive epic vigorous dynamic "
            "furious heroic rousing"
        ),
        "energetic",
    ),
    **dict.fromkeys(
        _split(
            "dark ominous scary spooky eerie mysterious haunting sinister menacing somber "
            "sombre brooding tense creepy"
        ),
        "dark",
    ),
    **dict.fromkeys(_split("romantic tender passionate intimate"), "romantic"),
    # other languages
    **dict.fromkeys(_split("traurig triste tristeza melancólico melancolique"), "sad"),
    **dict.fromkeys(_split("fröhlich heiter joyeux joyeuse alegre feliz gai"), "happy"),
    **dict.fromkeys(_split("ruhig calme tranquilo tranquila sereno"), "calm"),
    **dict.fromkeys(_split("düster sombre oscuro"), "dark"),
}
MOOD_EXEMPLARS: dict[str, tuple[str, ...]] = {
    "happy": ("happy", "joyful celebration", "party with friends", "sunny summer day", "cheerful"),
    "sad": ("sad", "grief and loss", "funeral", "heartbreak and tears", "lonely", "melancholic"),
    "calm": (
        "calm",
        "peaceful and relaxing",
        "lullaby to fall asleep",
        "meditation",
        "quiet evening",
        "rainy afternoon in a cafe",
    ),
    "energetic": ("energetic", "workout", "chase scene", "boss fight", "dancing all night"),
    "dark": ("dark", "horror film", "ominous danger", "haunted house", "spooky"),
    "romantic": ("romantic", "love song", "wedding", "candle-lit dinner", "date night"),
}
_MOOD_TEMPO_FACTOR = {"sad": 0.85, "calm": 0.85, "dark": 0.95, "happy": 1.1, "energetic": 1.2}

# ------------------------------------------------------------------------------ style defaults
# What a style brings when the prompt leaves a field open; drawn from the training sources
# (POP909 ~80-100 bpm on piano, Nottingham ~120 bpm flute + piano chords, WJazzD trios,
# Bach chorales SATB, Palestrina 4 voices, Monteverdi 5 voices, string quartets, sung songs).
STYLE_DEFAULTS: dict[str, dict] = {
    "pop": {"instruments": [0], "tempo": 92.0, "meter": "4/4"},
    "folk": {"instruments": [73, 0], "tempo": 120.0, "meter": "4/4"},
    "jazz": {"instruments": [66, 32, 0], "tempo": 160.0, "meter": "4/4"},
    "chorale": {"instruments": [52, 52, 52, 52], "tempo": 88.0, "meter": "4/4"},
    "renaissance": {"instruments": [52, 52, 52, 52], "tempo": 80.0, "meter": "4/4"},
    "madrigal": {"instruments": [52, 52, 52, 52, 52], "tempo": 88.0, "meter": "4/4"},
    "classical": {"instruments": [40, 40, 41, 42], "tempo": 120.0, "meter": "4/4"},
    "song": {"instruments": [53], "tempo": 110.0, "meter": "4/4"},
}
DEFAULT_STYLE = "pop"
DEFAULT_BARS = 16

# ------------------------------------------------------------------------------ keys
_MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_NAMES = ("Cm", "C#m", "Dm", "D#m", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm")
# sharps (+) or flats (-) in each key signature, for `Attributes.key_signature`
_MAJOR_FIFTHS = (0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5)
_MINOR_FIFTHS = (-3, 4, -1, 6, 1, -4, 3, -2, 5, 0, -5, 2)
_PC = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_ROMANCE_PC = {"do": 0, "ré": 2, "re": 2, "mi": 4, "fa": 5, "sol": 7, "la": 9, "si": 11}
_MINOR_WORDS = {"minor", "min", "m", "moll", "mineur", "menor", "minore", "小调", "小調"}
_MAJOR_WORDS = {"major", "maj", "dur", "majeur", "mayor", "maggiore", "大调", "大調", "调", "調"}
_KEY_NOUNS = {"key", "keys", "mode", "tonality", "scale", "feel", "feeling", "sound", "tone"}
_CONNECTORS = {
    "with",
    "for",
    "at",
    "and",
    "in",
    "on",
    "using",
    "played",
    "featuring",
    "by",
    "that",
    "which",
    "please",
    "tempo",
    "to",
    "from",
    "or",
    "but",
}

_KEY_EN = re.compile(
    r"(?<![\w'’#♯♭-])(?P<tonic>[A-Ga-g])"
    r"(?P<acc>#|♯|♭|b|\s*-?\s*(?:sharp|flat)(?![a-z]))?"
    r"(?P<mode>\s*-?\s*(?:major|minor|maj|min|m)(?![a-z]))?"
    r"(?![\w#♯♭])",
    re.IGNORECASE,
)
_KEY_DE = re.compile(
    r"(?<![\w-])(?P<tonic>[A-Ha-h])(?P<acc>is|es|s)?\s*-\s*(?P<mode>dur|moll)(?![a-z])",
    re.IGNORECASE,
)
_KEY_ROMANCE = re.compile(
    r"(?<![\w-])(?P<tonic>do|ré|re|mi|fa|sol|la|si)"
    r"(?:\s+(?P<acc>dièse|diese|bémol|bemol|sostenido|diesis|bemolle))?"
    r"\s+(?P<mode>majeur|mineur|mayor|menor|maggiore|minore)(?![a-z])",
    re.IGNORECASE,
)
_KEY_ZH = re.compile(
    r"(?P<pre>[升降])?(?P<tonic>[A-Ga-g])(?P<acc>[#♯b♭])?\s*(?P<mode>大调|小调|大調|小調|调|調)"
)
_MODE_ONLY = re.compile(
    r"(?:(?<![\w-])(?P<pre>in|en|im)\s+(?:a\s+)?)?(?P<mode>minor|major|moll|dur|mineur|majeur|"
    r"menor|mayor)(?P<post>[\s-]+(?:key|keys|mode|tonality|scale|feel))?(?![\w])|(?P<zh>小调|大调)",
    re.IGNORECASE,
)

# ------------------------------------------------------------------------------ numbers
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "sixteen": 16,
    "twenty": 20,
    "twenty-four": 24,
    "thirty-two": 32,
    "forty-eight": 48,
    "sixty-four": 64,
    "twenty four": 24,
    "thirty two": 32,
    "sixty four": 64,
    "a single": 1,
    "a couple of": 2,
}
_NUM = r"(?P<num>\d{1,4}|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len)[::-1]) + ")"
_BARS_RE = re.compile(
    r"(?<![A-Za-z\d.])"
    + _NUM
    + r"\s*-?\s*(?:bars?|measures?|takte?n?|mesures?|compases?|小节|小節)"
    r"(?![a-z])",
    re.IGNORECASE,
)
_BPM_RE = re.compile(
    r"(?<![\d.])(?P<n>\d{1,3}(?:\.\d+)?)\s*(?:bpm|b\.p\.m\.?|beats?\s+(?:per|a|/)\s+minute|"
    r"schläge pro minute|battements par minute|pulsaciones por minuto|拍每分钟|拍/分)"
    r"|(?:♩|(?<![\w.])(?:q|mm|m\.m\.|tempo|metronome)|速度|@)\s*(?:=|:|of|at|de|von)?\s*"
    r"(?P<m>\d{2,3}(?:\.\d+)?)"
    r"(?![\d/])"
    r"|(?<![\w])(?:at|à|bei)\s+(?P<a>\d{2,3})(?![\d/.]|\s*(?:%|bars?|measures?|seconds?|"
    r"minutes?|years?|notes?|voices?|tracks?|instruments?|am|pm|o'clock))",
    re.IGNORECASE,
)
_BPM_RANGE_RE = re.compile(
    r"(?<![\d.])(?P<lo>\d{2,3})\s*(?:-|to|and)\s*(?P<hi>\d{2,3})\s*(?:bpm|beats per minute)",
    re.IGNORECASE,
)
_METER_RE = re.compile(r"(?<![\d/.])(?P<num>\d{1,2})\s*/\s*(?P<den>1|2|4|8|16|32)(?![\d/])")
_METER_WORDS: dict[str, str] = {
    "common time": "4/4",
    "cut time": "2/2",
    "alla breve": "2/2",
    "triple time": "3/4",
    "triple meter": "3/4",
    "triple metre": "3/4",
    "duple time": "2/4",
    "duple meter": "2/4",
    "three-four time": "3/4",
    "three four time": "3/4",
    "four-four time": "4/4",
    "four four time": "4/4",
    "two-four time": "2/4",
    "six-eight time": "6/8",
    "six eight time": "6/8",
    "waltz time": "3/4",
    "walzertakt": "3/4",
    "dreivierteltakt": "3/4",
}
_LENGTH_WORDS: dict[str, int] = {
    "very short": 4,
    "tiny": 4,
    "short": 8,
    "brief": 8,
    "long": 32,
    "lengthy": 32,
    "very long": 64,
}
_NEGATIONS = {"no", "without", "not", "except", "minus", "sans", "ohne", "sin"}

# Chinese has no spaces: substring tables (longest first).
_ZH_TERMS: tuple[tuple[str, str, object], ...] = (
    ("萨克斯", "instrument", (66,)),
    ("钢琴", "instrument", (0,)),
    ("小提琴", "instrument", (40,)),
    ("大提琴", "instrument", (42,)),
    ("吉他", "instrument", (25,)),
    ("贝斯", "instrument", (33,)),
    ("低音提琴", "instrument", (32,)),
    ("长笛", "instrument", (73,)),
    ("小号", "instrument", (56,)),
    ("合唱", "instrument", (52, 52, 52, 52)),
    ("鼓", "instrument", (DRUMS,)),
    ("弦乐四重奏", "instrument", (40, 40, 41, 42)),
    ("爵士", "style", "jazz"),
    ("流行", "style", "pop"),
    ("民谣", "style", "folk"),
    ("民歌", "style", "folk"),
    ("古典", "style", "classical"),
    ("圣咏", "style", "chorale"),
    ("华尔兹", "style", "waltz"),
    ("歌", "style", "song"),
    ("圆舞曲", "style", "waltz"),
    ("悲伤", "mood", "sad"),
    ("伤感", "mood", "sad"),
    ("忧伤", "mood", "sad"),
    ("快乐", "mood", "happy"),
    ("欢快", "mood", "happy"),
    ("开心", "mood", "happy"),
    ("安静", "mood", "calm"),
    ("平静", "mood", "calm"),
    ("抒情", "mood", "romantic"),
    ("浪漫", "mood", "romantic"),
    ("黑暗", "mood", "dark"),
    ("激昂", "mood", "energetic"),
    ("慢速", "tempo", "slow"),
    ("缓慢", "tempo", "slow"),
    ("快速", "tempo", "fast"),
    ("中速", "tempo", "moderate"),
)

_STOPWORDS = set(
    _split(
        "a an the in of and with for to me please write compose make generate create give some "
        "piece music tune track tracks composition something like style genre sounding feel vibe "
        "that is it its it's be by on at as i want would could you can play played playing "
        "featuring feature using use song songs melody melodies about very really bit little "
        "kind sort type part parts plus also mostly only just one two three four slightly "
        "arrangement arranged instrumental accompaniment accompanied solo key mode tempo bpm "
        "bars bar measures time signature meter metre sounds sound lead backing from into "
        "this these those my your our their his her which where when how what who but or so "
        "not no without more less than quite rather somewhat over under around"
    )
)


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
        out["instrument_names"] = [
            "Drums" if p == DRUMS else PROGRAM_NAMES[p] for p in self.instruments
        ]
        return out

    def key_signature(self) -> tuple[int, int] | None:
        """(sharps > 0 / flats < 0, 0 major / 1 minor) for a key-signature event, or None."""
        if self.key is None:
            return None
        if self.key in _MINOR_NAMES:
            return _MINOR_FIFTHS[_MINOR_NAMES.index(self.key)], 1
        return _MAJOR_FIFTHS[_MAJOR_NAMES.index(self.key)], 0

    def describe(self) -> str:
        """One line for stderr: "jazz · Cm · 160 bpm · 4/4 · Tenor Sax, ... · 16 bars"."""
        parts = [self.style or "", self.key or (self.mode or ""), self.mood or ""]
        if self.tempo:
            parts.append(f"{self.tempo:g} bpm")
        parts.append(self.meter or "")
        names = self.to_dict()["instrument_names"]
        parts.append(", ".join(names))
        if self.bars:
            parts.append(f"{self.bars} bars")
        return " · ".join(p for p in parts if p)


def key_name(pitch_class: int, minor: bool) -> str:
    """The canonical spelling of a key (fewest accidentals, ties to sharps)."""
    return (_MINOR_NAMES if minor else _MAJOR_NAMES)[pitch_class % 12]


# ------------------------------------------------------------------------------ phrase table

_WORD = re.compile(r"[^\W_]+(?:[&'][^\W_]+)*", re.UNICODE)
Table = dict[tuple[str, ...], list[tuple[str, object]]]


@lru_cache(maxsize=1)
def _phrases() -> tuple[Table, int, dict[tuple[str, int], tuple[str, ...]]]:
    """phrase (word tuple) → [(kind, value)], the longest phrase, typo targets by length."""
    table: Table = {}

    def add(phrase: str, kind: str, value: object) -> None:
        words = tuple(_WORD.findall(phrase.lower()))
        if words:
            table.setdefault(words, []).append((kind, value))

    for program, name in enumerate(PROGRAM_NAMES[:120]):  # 120-127: sound effects, never
        add(re.sub(r"[()]", " ", name), "instrument", (program,))
    for phrase, programs in _INSTRUMENTS.items():
        words = tuple(_WORD.findall(phrase))
        table[words] = [e for e in table.get(words, []) if e[0] != "instrument"]
        add(phrase, "instrument", programs)
    for words, entries in table.items():  # "jazz guitar", "Electric Guitar (jazz)"
        if "jazz" in words and len(words) > 1:
            entries.append(("style", ("jazz", "jazz", 1, None)))
    for phrase, value in _STYLE_WORDS.items():
        add(phrase, "style", (phrase, *value))
    for phrase, style in _OTHER_STYLES.items():
        add(phrase, "other_style", (phrase, style))
    for phrase in TEMPO_WORDS:
        add(phrase, "tempo", phrase)
    for phrase, word in _TEMPO_SYNONYMS.items():
        add(phrase, "tempo", word)
    for phrase, mood in _MOOD_WORDS.items():
        add(phrase, "mood", mood)
    for phrase, meter in _METER_WORDS.items():
        add(phrase, "meter", meter)
    for phrase, bars in _LENGTH_WORDS.items():
        add(phrase, "length", bars)
    longest = max(len(k) for k in table)
    # single words a typo may be corrected to (4+ letters, so "sad" never eats "sat")
    targets = {k[0] for k in table if len(k) == 1 and len(k[0]) >= 4 and k[0].isalpha()}
    targets |= {"minor", "major", "bars", "measures"}
    # typos keep the first letter ("jaz", "slwo", "mnior", "pinao"): candidates by both
    by_start: dict[tuple[str, int], tuple[str, ...]] = {}
    for first in {t[0] for t in targets}:
        for n in range(3, 40):
            near = (t for t in targets if t[0] == first and abs(len(t) - n) <= max(1, n // 4))
            by_start[first, n] = tuple(sorted(near))
    return table, longest, by_start


# words that must never be "corrected" although they are not English
_PROTECTED = (
    _MINOR_WORDS
    | _MAJOR_WORDS
    | set(_ROMANCE_PC)
    | {"dur", "moll", "dièse", "diese", "bémol", "bemol", "sostenido", "bemolle", "diesis"}
    | {"bpm", "takt", "takte", "takten", "mesures", "compases", "tempo", "mayor", "menor"}
)


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Real English words (the encoder's WordPiece vocabulary): never "corrected" as typos."""
    try:
        from symbolic.paths import text_encoder_dir

        lines = (text_encoder_dir() / "vocab.txt").read_text(encoding="utf-8").split()
    except Exception:  # the package is optional for the parser itself
        return frozenset()
    return frozenset(w for w in lines if w.isalpha())


def _is_transposition(a: str, b: str) -> bool:
    """True when `a` is `b` with two neighbouring letters swapped ("slwo" / "slow")."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]


@lru_cache(maxsize=8192)
def _correct(word: str) -> str | None:
    """The vocabulary word a typo most likely means, or None."""
    table, _, by_start = _phrases()
    if len(word) < 3 or not word.isascii() or not word.isalpha() or word in _PROTECTED:
        return None
    if (word,) in table or word in _english_words():
        return None
    candidates = by_start.get((word[0], len(word)), ())
    if not candidates:
        return None
    for target in candidates:
        if _is_transposition(word, target):
            return target
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.8)
    return close[0] if close else None


# ------------------------------------------------------------------------------ parsing


def _tokens(text: str) -> list[str]:
    """Lower-case words ("c-pop" is two words, as in the phrase tables)."""
    return _WORD.findall(text.lower())


def _fix_typos(text: str, notes: list[str]) -> str:
    """Replace single-word typos of vocabulary words ("jaz", "slwo", "mnior") in the text."""
    pieces, last, tried = [], 0, 0
    for m in _WORD.finditer(text):
        if tried >= MAX_TYPO_LOOKUPS:
            break
        word = m.group().lower()
        tried += word not in _english_words()
        fixed = _correct(word)
        if fixed:
            pieces += [text[last : m.start()], fixed]
            last = m.end()
            notes.append(f"read '{m.group()}' as '{fixed}'")
    return "".join(pieces) + text[last:] if pieces else text


def _set_key(attrs: Attributes, pc: int, minor: bool, written: str, spelled: str | None) -> None:
    """Record a key (the first one named wins); `spelled` is the tonic as written ("Gb")."""
    name = key_name(pc, minor)
    if attrs.key is not None:
        if name != attrs.key:
            attrs.notes.append(f"several keys named; using the first, {attrs.key}")
        return
    attrs.key, attrs.mode = name, "minor" if minor else "major"
    attrs.explicit |= {"key", "mode"}
    if spelled is not None and spelled != name.removesuffix("m"):
        attrs.notes.append(f"'{written.strip()}' is written {name} (the same key)")


def _parse_keys(text: str, attrs: Attributes) -> list[tuple[int, int]]:
    """Find keys in all supported spellings; returns the spans used."""
    found: list[tuple[int, int, int, bool, str, str | None]] = []
    for m in _KEY_ZH.finditer(text):
        pc = _PC[m["tonic"].lower()] + {"升": 1, "降": -1}.get(m["pre"] or "", 0)
        pc += {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(m["acc"] or "", 0)
        found.append((m.start(), m.end(), pc, m["mode"] in _MINOR_WORDS, m.group(), None))
    for m in _KEY_DE.finditer(text):
        letter, acc = m["tonic"].lower(), (m["acc"] or "").lower()
        pc = {"h": 11, "b": 10}.get(letter, _PC.get(letter, 0))
        pc += 1 if acc == "is" else -1 if acc in ("es", "s") else 0
        spelled = {"h": "B", "b": "Bb"}.get(letter, letter.upper()) + (
            "#" if acc == "is" else "b" if acc else ""
        )
        found.append((m.start(), m.end(), pc, m["mode"].lower() == "moll", m.group(), spelled))
    for m in _KEY_ROMANCE.finditer(text):
        acc = (m["acc"] or "").lower()
        pc = _ROMANCE_PC[m["tonic"].lower()] + (
            1 if acc.startswith(("di", "so")) else -1 if acc else 0
        )
        minor = m["mode"].lower() in _MINOR_WORDS
        found.append((m.start(), m.end(), pc, minor, m.group(), None))
    taken = [(s, e) for s, e, *_ in found]
    for m in _KEY_EN.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        got = _english_key(text, m)
        if got is not None:
            found.append((m.start(), m.end(), got[0], got[1], m.group(), got[2]))
    found.sort()
    for _, _, pc, minor, written, spelled in found:
        _set_key(attrs, pc, minor, written, spelled)
    spans = [(s, e) for s, e, *_ in found]
    if attrs.mode is None:
        for m in _MODE_ONLY.finditer(text):
            at_end = re.match(r"\s*(?:$|[,.;:!?)])", text[m.end() :]) is not None
            word = (m["mode"] or m["zh"]).lower()
            if m["zh"] or m["post"] or m["pre"] or (at_end and word in ("minor", "major")):
                attrs.mode = "minor" if word in _MINOR_WORDS else "major"
                attrs.explicit.add("mode")
                spans.append((m.start(), m.end()))
                break
    return spans


def _english_key(text: str, m: re.Match) -> tuple[int, bool, str] | None:
    """(pitch class, minor, tonic as written) of an English key match, or None if no key."""
    tonic, acc_raw, mode_raw = m["tonic"], m["acc"] or "", m["mode"] or ""
    acc, mode = acc_raw.strip(" -").lower(), mode_raw.strip(" -").lower()
    upper = tonic.isupper()
    if mode == "m" and (mode_raw != "m" or not (upper or acc in ("#", "♯", "♭"))):
        return None  # "am", "cm", "c m", "8 AM", "dbm": not "Am" ("f#m" is fine)
    after = text[m.end() :]
    if re.match(r"-[^\W\d_]", after) and not mode:
        return None  # B-side, C-pop, E-piano
    before = text[: m.start()].lower().rstrip()
    prev_word = re.findall(r"[\w:]+$", before)
    prev = prev_word[0] if prev_word else ""
    nxt = re.match(r"[\s-]*([^\W_]+)", after)
    next_word = nxt.group(1) if nxt else ""
    end_of_phrase = not next_word or re.match(r"\s*[,.;:!?)\]]", after) is not None
    keyish = prev in ("in", "of", "key", "key:", "tonic", "en", "im")
    free = end_of_phrase or next_word.lower() in _CONNECTORS or next_word.isdigit()
    article = next_word.lower() in _KEY_NOUNS or not (free or (keyish and (mode or acc)))
    if tonic == "a" and acc in ("", "flat") and article:
        return None  # the article: "a minor key", "a flat melody", "a major hit"
    if not mode and not acc:
        if not keyish:
            return None
        if not upper and not end_of_phrase:
            return None
        if upper and not end_of_phrase and next_word[:1].isupper():
            return None  # Title Case: "Song In A Slow Tempo"
    if acc == "b" and not (upper or mode or keyish):
        return None
    if acc in ("sharp", "flat") and not upper and not (mode or keyish or free):
        return None
    sharp, flat = acc in ("#", "♯", "sharp"), acc in ("b", "♭", "flat")
    pc = (_PC[tonic.lower()] + (1 if sharp else -1 if flat else 0)) % 12
    return (
        pc,
        mode in ("minor", "min", "m"),
        tonic.upper() + ("#" if sharp else "b" if flat else ""),
    )


def _parse_numbers(text: str, attrs: Attributes) -> list[tuple[int, int]]:
    """bpm, meter and bar counts written with digits or number words."""
    spans = []
    for m in _METER_RE.finditer(text):
        num = int(m["num"])
        if 1 <= num <= 15:
            meter = f"{num}/{m['den']}"
            if attrs.meter is None:
                attrs.meter = meter
                attrs.explicit.add("meter")
            elif attrs.meter != meter:
                attrs.notes.append(f"several meters named; using the first, {attrs.meter}")
            spans.append((m.start(), m.end()))
    for m in _BARS_RE.finditer(text):
        raw = m["num"].lower()
        n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        spans.append((m.start(), m.end()))
        if attrs.bars is not None:
            continue
        if not 1 <= n <= MAX_BARS:
            attrs.notes.append(f"{n} bars is out of range; using {min(max(n, 1), MAX_BARS)}")
            n = min(max(n, 1), MAX_BARS)
        attrs.bars = n
        attrs.explicit.add("bars")
    for m in _BPM_RANGE_RE.finditer(text):
        lo, hi = sorted((float(m["lo"]), float(m["hi"])))
        if attrs.tempo is None and lo >= MIN_BPM and hi <= MAX_BPM:
            attrs.tempo, attrs.tempo_range = (lo + hi) / 2, (lo, hi)
            attrs.explicit.add("tempo")
            spans.append((m.start(), m.end()))
    for m in _BPM_RE.finditer(text):
        if any(s <= m.start() < e for s, e in spans):
            continue
        value = float(m["n"] or m["m"] or m["a"])
        if m["a"] and value < 40:
            continue  # "at 12" is more likely a time or a count than a tempo
        spans.append((m.start(), m.end()))
        if attrs.tempo is not None:
            continue
        if not MIN_BPM <= value <= MAX_BPM:
            attrs.notes.append(f"{value:g} bpm is outside {MIN_BPM:g}-{MAX_BPM:g}; ignoring it")
            continue
        attrs.tempo = value
        attrs.explicit.add("tempo")
    return spans


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the given spans blanked out (kept the same length)."""
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


@dataclass
class _Words:
    """What the word scan found besides the fields it sets directly."""

    leftover: list[str]
    unknown_style: str | None
    generic: list[tuple[int, str]]  # (index in instruments, word) for style-dependent programs


def _lookup(table: Table, words: list[str]) -> tuple[int, list[tuple[str, object]]] | None:
    """The longest phrase at the start of `words` (plurals fall back to the singular)."""
    for n in range(len(words), 0, -1):
        entry = table.get(tuple(words[:n]))
        if entry is None and n == 1 and len(words[0]) > 3 and words[0].endswith("s"):
            entry = table.get((words[0][:-1],))
        if entry:
            return n, entry
    return None


def _add_instrument(attrs: Attributes, phrase: str, programs: list[int], prev: list[str]) -> bool:
    """Add a named instrument (negated: exclude it); True if it went into the list."""
    if any(p in _NEGATIONS for p in prev):
        attrs.excluded += [p for p in programs if p not in attrs.excluded]
        attrs.notes.append(f"no {phrase}, as asked")
        return False
    count = _NUMBER_WORDS.get(prev[-1], 0) if prev else 0
    if prev and prev[-1].isdigit():
        count = int(prev[-1])
    if 1 < count <= 8 and len(set(programs)) == 1:
        programs = [programs[0]] * count
    elif len(set(programs)) == 1 and programs[0] in attrs.instruments:
        return False  # named twice ("SATB choir")
    attrs.instruments += programs
    attrs.explicit.add("instruments")
    return True


def _parse_words(text: str, attrs: Attributes) -> _Words:
    """Instruments, styles, tempo/mood/meter/length words, longest phrase first."""
    table, longest, _ = _phrases()
    tokens = _tokens(text)
    out = _Words([], None, [])
    styles: list[tuple[float, int, str, str, str | None]] = []  # -weight, pos, style, word, meter
    i = 0
    while i < len(tokens):
        hit = _lookup(table, tokens[i : i + longest])
        if hit is None:
            out.leftover.append(tokens[i])
            i += 1
            continue
        n, entries = hit
        phrase = " ".join(tokens[i : i + n])
        prev = tokens[max(0, i - 3) : i]
        for kind, value in entries:
            if kind == "instrument":
                start = len(attrs.instruments)
                if _add_instrument(attrs, phrase, list(value), prev):
                    word = phrase if phrase in _CONTEXT_PROGRAMS else phrase[:-1]
                    if word in _CONTEXT_PROGRAMS:
                        out.generic += [(k, word) for k in range(start, len(attrs.instruments))]
            elif kind == "style":
                word, style, weight, meter = value
                styles.append((-weight, i, style, word, meter))
            elif kind == "other_style":
                out.unknown_style = out.unknown_style or value[0]
            elif kind == "tempo" and attrs.tempo_word is None:
                attrs.tempo_word = value
                attrs.explicit.add("tempo")
            elif kind == "mood" and attrs.mood is None:
                attrs.mood = value
                attrs.explicit.add("mood")
            elif kind == "meter" and attrs.meter is None:
                attrs.meter = value
                attrs.explicit.add("meter")
            elif kind == "length" and attrs.bars is None:
                nxt = tokens[i + n] if i + n < len(tokens) else ""
                if nxt not in ("note", "notes", "tones", "chords", "phrases", "lines"):
                    attrs.bars = value
                    attrs.explicit.add("bars")
                    attrs.notes.append(f"'{phrase}' read as {value} bars")
        i += n
    for term, kind, value in _ZH_TERMS:
        if term not in text:
            continue
        if kind == "instrument" and not set(value) <= set(attrs.instruments):
            attrs.instruments += list(value)
            attrs.explicit.add("instruments")
        elif kind == "style":
            style, weight, meter = _STYLE_WORDS.get(value, (value, 2, None))
            styles.append((-weight, len(tokens), style, term, meter))
        elif kind == "mood" and attrs.mood is None:
            attrs.mood = value
            attrs.explicit.add("mood")
        elif kind == "tempo" and attrs.tempo_word is None:
            attrs.tempo_word = value
            attrs.explicit.add("tempo")
    if out.unknown_style and styles and max(-s[0] for s in styles) < 1:
        styles = []  # "a grunge song": the genre says more than "song"
    if styles:
        styles.sort()
        _, _, style, word, _ = styles[0]
        attrs.style, attrs.style_requested = style, word
        attrs.explicit.add("style")
        if out.unknown_style:
            attrs.notes.append(
                f"'{out.unknown_style}' is not a style the model knows; '{word}' decides ({style})"
            )
            out.unknown_style = None
        for _, _, _, form, meter in sorted(styles, key=lambda s: s[1]):
            if meter and attrs.meter is None:
                attrs.meter = meter
                attrs.explicit.add("meter")
                attrs.notes.append(f"'{form}' implies {meter}")
    return out


# ------------------------------------------------------------------------------ encoder

_LABEL_CACHE: dict[str, tuple[tuple[str, ...], object]] = {}


def embed(texts: list[str]):
    """Unit-length sentence embeddings (numpy, 384-dim) of some texts, truncated first."""
    from symbolic.models.text_encoder import load_encoder

    return load_encoder().encode([t[:MAX_ENCODER_CHARS] for t in texts])


def nearest_all(texts: list[str], exemplars: dict[str, tuple[str, ...]]) -> list[tuple[str, float]]:
    """For each text, the label of the nearest exemplar (cosine similarity) and that similarity."""
    cache_key = repr(sorted(exemplars.items()))
    if cache_key not in _LABEL_CACHE:
        labels = tuple(label for label, phrases in exemplars.items() for _ in phrases)
        phrases = [p for ps in exemplars.values() for p in ps]
        _LABEL_CACHE[cache_key] = (labels, embed(phrases))
    labels, matrix = _LABEL_CACHE[cache_key]
    sims = embed(texts) @ matrix.T
    best = sims.argmax(axis=1)
    return [(labels[int(b)], float(row[int(b)])) for b, row in zip(best, sims, strict=True)]


def nearest(text: str, exemplars: dict[str, tuple[str, ...]]) -> tuple[str, float]:
    """The label of the exemplar nearest to `text` and the cosine similarity."""
    return nearest_all([text], exemplars)[0]


# ------------------------------------------------------------------------------ main entry

STYLE_THRESHOLD = 0.5  # below this a vague prompt gives no style of its own
MOOD_THRESHOLD = 0.5


def parse_prompt(text: str, *, use_encoder: bool = True) -> Attributes:
    """Parse a free-text prompt into attributes and fill what it leaves open (`fill_defaults`).

    Never raises on odd text: an empty prompt gets the pop defaults and a note.
    """
    attrs = Attributes()
    text = _normalize(text or "")
    if not text.strip():
        attrs.notes.append("empty prompt: using the defaults of the pop style")
        return fill_defaults(attrs)
    text = _fix_typos(text, attrs.notes)
    spans = _parse_keys(text, attrs)
    spans += _parse_numbers(_mask(text, spans), attrs)
    words = _parse_words(_mask(text, spans), attrs)
    if attrs.tempo_word:
        lo, hi, default = TEMPO_WORDS[attrs.tempo_word]
        attrs.tempo_range = (float(lo), float(hi))
        if attrs.tempo is None:
            attrs.tempo = float(default)
        elif not lo <= attrs.tempo <= hi:
            attrs.notes.append(
                f"{attrs.tempo:g} bpm is outside '{attrs.tempo_word}' ({lo:g}-{hi:g} bpm);"
                f" using {attrs.tempo:g} bpm as written"
            )
    elif attrs.tempo is not None and attrs.tempo_range is None:
        attrs.tempo_range = (round(attrs.tempo * 0.95, 2), round(attrs.tempo * 1.05, 2))
    vague = " ".join(w for w in words.leftover if w not in _STOPWORDS and not w.isdigit())
    _resolve_style(attrs, words.unknown_style, vague, use_encoder)
    for index, word in words.generic:  # "bass" in jazz is an upright bass
        program = _CONTEXT_PROGRAMS[word].get(attrs.style or "")
        if program is not None and attrs.instruments[index] != program:
            attrs.instruments[index] = program
            attrs.notes.append(f"'{word}' read as {PROGRAM_NAMES[program]} for {attrs.style}")
    only = {"only", "just", "solo", "alone", "unaccompanied"} & set(words.leftover)
    if attrs.instruments and set(attrs.instruments) == {DRUMS} and not only:
        lineup = [p for p in STYLE_DEFAULTS[attrs.style or DEFAULT_STYLE]["instruments"]]
        lineup = [p for p in lineup if p not in attrs.excluded]
        attrs.instruments = lineup + attrs.instruments
        attrs.notes.append(f"drums added to the {attrs.style or DEFAULT_STYLE} line-up")
    if attrs.mood is None and use_encoder and len(vague) >= 4:
        try:
            mood, score = nearest(vague, MOOD_EXEMPLARS)
        except Exception as err:  # encoder missing or broken: no mood, say so
            attrs.notes.append(f"sentence encoder unavailable ({type(err).__name__})")
        else:
            if score >= MOOD_THRESHOLD:
                attrs.mood = mood
                attrs.notes.append(f"mood read as {mood} from '{_short(vague)}'")
    return fill_defaults(attrs)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _resolve_style(attrs: Attributes, unknown: str | None, vague: str, use_encoder: bool) -> None:
    """Pick a style when the prompt names none the model knows."""
    if attrs.style is not None:
        return
    if unknown:
        attrs.style_requested = unknown
        style = _OTHER_STYLES[unknown]
        if use_encoder:
            try:
                style, _ = nearest(unknown, STYLE_EXEMPLARS)
            except Exception as err:
                attrs.notes.append(f"sentence encoder unavailable ({type(err).__name__})")
        attrs.style = style
        attrs.explicit.add("style")
        attrs.notes.append(
            f"'{unknown}' is not a style the model knows; using the nearest, {style}"
        )
        return
    for programs, style in _INSTRUMENT_STYLE_HINTS:
        if programs & set(attrs.instruments):
            attrs.style = style
            attrs.notes.append(f"no style named; the instruments suggest {style}")
            return
    if use_encoder and len(vague) >= 4:
        try:
            style, score = nearest(vague, STYLE_EXEMPLARS)
        except Exception as err:
            attrs.notes.append(f"sentence encoder unavailable ({type(err).__name__})")
            return
        if score >= STYLE_THRESHOLD:
            attrs.style = style
            attrs.style_requested = _short(vague)
            attrs.notes.append(f"no style named; '{_short(vague)}' sounds nearest to {style}")


def _normalize(text: str) -> str:
    """NFKC (full-width digits, ligatures) and one kind of apostrophe and dash."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace("’", "'").replace("–", "-").replace("—", "-").replace("‐", "-")


def fill_defaults(attrs: Attributes) -> Attributes:
    """A copy with open fields filled from the style's defaults (`STYLE_DEFAULTS`), each noted."""
    out = replace(
        attrs,
        instruments=list(attrs.instruments),
        excluded=list(attrs.excluded),
        notes=list(attrs.notes),
        explicit=set(attrs.explicit),
    )
    if out.style is None:
        out.style = DEFAULT_STYLE
        if not any(n.startswith("empty prompt") for n in out.notes):
            out.notes.append(f"no style named; using {DEFAULT_STYLE}")
    defaults = STYLE_DEFAULTS[out.style]
    if not out.instruments:
        lineup = [p for p in defaults["instruments"] if p not in out.excluded] or [
            p for p in (0, 73, 40) if p not in out.excluded
        ][:1]
        out.instruments = lineup
        out.notes.append(f"instruments from the {out.style} defaults: {_names(lineup)}")
    if out.tempo is None:
        factor = _MOOD_TEMPO_FACTOR.get(out.mood or "", 1.0)
        out.tempo = float(round(defaults["tempo"] * factor))
        why = f" and the {out.mood} mood" if factor != 1.0 else ""
        out.notes.append(f"tempo {out.tempo:g} bpm from the {out.style} defaults{why}")
    if out.meter is None:
        out.meter = defaults["meter"]
        out.notes.append(f"meter {out.meter} from the {out.style} defaults")
    if out.bars is None:
        out.bars = DEFAULT_BARS
        out.notes.append(f"length {DEFAULT_BARS} bars (the default)")
    if out.mode is None and out.mood in ("sad", "dark"):
        out.mode = "minor"
        out.notes.append(f"minor mode for the {out.mood} mood")
    return out


def _names(programs: list[int]) -> str:
    return ", ".join("Drums" if p == DRUMS else PROGRAM_NAMES[p] for p in programs)

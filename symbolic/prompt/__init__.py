"""Prompt → attributes: what a text prompt asks for (key, tempo, meter, instruments, length,
style, mood), parsed explicitly first (MuseCoco-style), the vague rest resolved by a `nearest`
matcher the caller passes (text2midi passes the sentence encoder's), and what is still open
filled from the style's own defaults. The word tables are data, in `tables/*.yaml`; this package
imports neither torch nor the models.

Decisions where the issue is silent (see also the tables):

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
- "jazz with drums" adds drums to the style's line-up (a band style's has them already);
  "drums only" does not.
- Band styles, the labels of the Groove, band and OpenEWLD sources: rock, metal, funk, soul,
  hip-hop, latin, blues, electronic, swing, ballad, country, reggae, gospel, world. bebop,
  hard bop, cool jazz, dixieland stay jazz; swing and big band are swing; punk, grunge and
  the rock sub-genres are rock; thrash and heavy metal metal; motown, R&B, rhythm and blues
  soul; rap, trap, boom bap, lo-fi and trip-hop (slow breakbeats, not four-on-the-floor)
  hip-hop; bossa nova, samba, salsa, mambo, tango, cumbia, afro-cuban latin; 12-bar blues,
  boogie, shuffle blues; EDM, techno, house, trance, synthwave, disco electronic; bluegrass
  country; ska, dub reggae. "ballad" is weak: a pop, jazz or soul ballad keeps its genre.
  In band styles "guitar" is 30 (distortion) in rock and metal, 29 in blues, 27 in funk,
  soul and reggae, 24 in latin, 26 in swing; "bass" 34 in metal, 38 in electronic and
  hip-hop, 32 in swing and latin; "808" is the synth bass (38), "808 drums" the kit.
- Defaults: 16 bars; sad/dark moods pick minor mode and, like calm/happy/energetic, shift
  the style's default tempo; the key itself is never invented (None = the model's choice).
- Typos: one word at a time, first letter kept, difflib cutoff 0.8 or one swapped pair, never
  for real English words (the encoder's WordPiece vocabulary) or key/mode words.
- Unknown styles go to the nearest known style by `nearest` (the static `OTHER_STYLES` table
  without one); mood and tempo words also shift a filled-in tempo.
"""

from symbolic.prompt.attributes import Attributes
from symbolic.prompt.parse import Nearest, fill_defaults, parse_prompt
from symbolic.prompt.tables import (
    MOOD_EXEMPLARS,
    OTHER_STYLES,
    STYLE_DEFAULTS,
    STYLE_EXEMPLARS,
    TEMPO_WORDS,
)
from symbolic.prompt.words import instrument_programs

__all__ = [
    "MOOD_EXEMPLARS",
    "OTHER_STYLES",
    "STYLE_DEFAULTS",
    "STYLE_EXEMPLARS",
    "TEMPO_WORDS",
    "Attributes",
    "Nearest",
    "fill_defaults",
    "instrument_programs",
    "parse_prompt",
]

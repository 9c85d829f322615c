"""What the sources read from the music21 corpus (chorales, polyphony, quartets) share: the
corpus files of some composers, stable ids, parsing, metadata, and the conversion to `Score`.

Their pieces are kept in the parse cache: a change here (or in `symbolic.score.from_music21`)
that changes what a file becomes must bump the `parse_version` of each of those sources.
"""

from __future__ import annotations

from symusic import Score

from symbolic.score import from_music21


def corpus_paths(composers: tuple[str, ...], suffixes: tuple[str, ...]) -> list[str]:
    """The corpus files of some composers with one of the suffixes, sorted (a fixed order)."""
    from music21 import corpus

    paths = [str(p) for c in composers for p in corpus.getComposer(c)]
    return sorted(p for p in paths if p.rsplit(".", 1)[-1] in suffixes)


def corpus_id(path: str) -> str:
    """ "bach/bwv1.6" from a corpus file path: stable across machines."""
    tail = path.split("/corpus/", 1)[-1]
    return tail.rsplit(".", 1)[0]


def parse_corpus(path: str):
    """A corpus file parsed by music21; of an opus, its first score."""
    from music21 import converter, stream

    parsed = converter.parse(path)
    if isinstance(parsed, stream.Opus):
        parsed = parsed.scores[0]
    return parsed


def m21_meta(parsed, path: str) -> dict:
    """Title, composer and corpus id of a parsed file (the loaders correct what is garbled)."""
    md = parsed.metadata
    title = None
    composer = None
    if md is not None:
        title = md.title or md.movementName
        composer = md.composer
    return {"title": title, "composer": composer, "file": corpus_id(path)}


def to_score(parsed) -> Score:
    """music21 → `Score`; a movement whose repeats music21 cannot expand is read unrolled
    no further (repeat signs dropped) rather than lost."""
    try:
        return from_music21(parsed)
    except Exception as err:
        if type(err).__name__ != "ExpanderException":
            raise
    from music21 import bar, repeat

    for el in list(parsed.recurse().getElementsByClass((bar.Repeat, repeat.RepeatExpression))):
        site = el.activeSite
        if isinstance(el, bar.Repeat) and site is not None:
            if site.leftBarline is el:
                site.leftBarline = None
            if site.rightBarline is el:
                site.rightBarline = bar.Barline("regular")
        elif site is not None:
            site.remove(el)
    for spanner in list(parsed.recurse().getElementsByClass("RepeatBracket")):
        for site in list(spanner.sites.get()):
            if hasattr(site, "remove"):
                site.remove(spanner)
    return from_music21(parsed)


def voices_score(parsed, names: list[str], program: int) -> Score:
    """Parts → named tracks with one GM program (52, Choir Aahs, for sung voices)."""
    for part, name in zip(parsed.parts, names, strict=False):
        part.partName = name
    score = to_score(parsed)
    for track, name in zip(score.tracks, names, strict=False):
        track.name = name
        track.program = program
    return score

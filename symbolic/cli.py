"""The `symgen` command: parse arguments, call the library, print. No logic of its own.

Exit codes: 0 success, 2 usage error (argparse), 1 bad input (`SymgenError`), one line on stderr.
Everything heavy (torch, music21, models) is imported inside the handlers so `--help` is instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from symbolic import __version__
from symbolic.errors import SymgenError


def _emit(args: argparse.Namespace, result: dict, text: str) -> None:
    """Print the human line(s), or one JSON object with `--json`."""
    if getattr(args, "json", False):
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(text)


def cmd_info(args: argparse.Namespace) -> None:
    from symbolic.score import describe, load

    info = {"path": str(args.file), **describe(load(args.file))}
    lines = [
        f"{info['path']}: {info['bars']} bars, {info['notes']} notes, {info['tempo']:g} bpm, "
        f"{info['meter']}, {info['key']}" + (" (estimated)" if info["key_source"] != "file" else "")
    ]
    for t in info["tracks"]:
        lines.append(
            f"  [{t['index']}] {t['name'] or '(unnamed)'}: {t['instrument']}, {t['notes']} notes"
            + (f", {t['lyrics']} lyrics" if t["lyrics"] else "")
        )
    _emit(args, info, "\n".join(lines))


def cmd_tokenize(args: argparse.Namespace) -> None:
    from symbolic.tokenize import tokenize_file

    tokens = tokenize_file(args.file, args.tokenizer)
    result = {"path": str(args.file), "tokenizer": args.tokenizer, "tokens": tokens}
    if args.out:
        from symbolic.score import check_output, write_atomic

        check_output(args.out, args.file)
        write_atomic(args.out, json.dumps(result, ensure_ascii=False))
        print(f"{len(tokens)} tokens written to {args.out}", file=sys.stderr)
    else:
        print(json.dumps(result, ensure_ascii=False) if args.json else " ".join(tokens))


def cmd_render(args: argparse.Namespace) -> None:
    from symbolic.render import render_file

    result = render_file(
        args.file, args.out, soundfont=args.soundfont, sample_rate=args.sample_rate
    )
    _emit(args, result, str(result["wav"]))


def cmd_data(args: argparse.Namespace) -> None:
    if args.action == "captions":
        from symbolic.data.captions import write_captions
        from symbolic.tasks.text_match import embed

        folder = Path(args.source)
        if not (folder / "meta.jsonl").exists():
            raise SymgenError(f"{folder}: no meta.jsonl here; give a folder made by data build")
        counts = write_captions(folder, embed)
        _emit(args, counts, f"captions for {sum(counts.values())} pieces in {folder}")
        return
    if args.out is None:
        raise SymgenError("data build needs --out FOLDER")
    from symbolic.data.build import build

    result = build(
        args.source,
        args.out,
        tokenizer=args.tokenizer,
        transpose=args.transpose,
        workers=args.workers,
        data_root=args.data_root,
        limit=args.limit,
    )
    pieces = sum(s["pieces"] for s in result["splits"].values())
    tokens = sum(s["tokens"] for s in result["splits"].values())
    _emit(args, result, f"{pieces} pieces, {tokens} tokens in {args.out}")


def cmd_train(args: argparse.Namespace, rest: list[str]) -> None:
    from symbolic.train.cli import run

    run([args.recipe, *rest] if args.recipe else rest)


def cmd_promote(args: argparse.Namespace) -> None:
    from symbolic.models.checkpoint import promote

    result = promote(args.folder, args.name, force=args.force)
    was = result["replaced_validation_loss"]
    text = f"shipped {result['from']} as {result['shipped']} (validation loss "
    text += f"{result['validation_loss']}" + (f", was {was})" if was is not None else ")")
    _emit(args, result, text)


def _sampling_kwargs(args: argparse.Namespace) -> dict:
    keys = ("out", "bars", "num_samples", "seed", "temperature", "top_p")
    return {k: getattr(args, k) for k in keys}


def cmd_generate(args: argparse.Namespace) -> None:
    from symbolic.tasks.generate import generate

    result = generate(
        args.model,
        prompt=args.prompt,
        continue_path=args.continue_path,
        style=args.style,
        **_sampling_kwargs(args),
    )
    _emit(args, result, "\n".join(result["outputs"]))


def cmd_text2midi(args: argparse.Namespace) -> None:
    from symbolic.tasks.text2midi import text2midi

    result = text2midi(args.prompt, wav=args.wav, model=args.model, **_sampling_kwargs(args))
    for note in result["notes"]:
        print(f"note: {note}", file=sys.stderr)
    _emit(args, result, "\n".join(result["outputs"] + result["wav"]))


def cmd_lyric2melody(args: argparse.Namespace) -> None:
    from symbolic.tasks.lyric2melody import lyric2melody

    result = lyric2melody(
        args.lyrics,
        lyrics_file=args.lyrics_file,
        key=args.key,
        tempo=args.tempo,
        meter=args.meter,
        chords=args.chords,
        out=args.out,
        abc=args.abc,
        seed=args.seed,
        temperature=args.temperature,
        top_p=args.top_p,
        model=args.model,
    )
    _emit(args, result, "\n".join(result["outputs"].values()))


def cmd_infill(args: argparse.Namespace) -> None:
    from symbolic.tasks.infill import infill

    tuned = {
        k: getattr(args, k) for k in ("temperature", "guidance") if getattr(args, k) is not None
    }
    result = infill(
        args.file,
        args.tracks,
        bars=args.bars,
        add=args.add,
        chords=args.chords,
        out=args.out,
        steps=args.steps,
        seed=args.seed,
        reharmonize=args.reharmonize,
        model=args.model,
        **tuned,
    )
    if not args.json:
        for note in result["notes"]:
            print(f"note: {note}", file=sys.stderr)
    _emit(args, result, "\n".join(result["outputs"]))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="symgen",
        description="Symbolic music (MIDI and ABC): generate, fill in, tokenize, train, render.",
    )
    p.add_argument("--version", action="version", version=f"symgen {__version__}")
    p.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.set_defaults(handler=handler)
        sp.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
        return sp

    sp = add("text2midi", cmd_text2midi, "Write a multi-track MIDI file from a text prompt.")
    sp.add_argument("prompt", help='e.g. "jazz in C minor", "a slow waltz for strings"')
    sp.add_argument("-o", "--out", type=Path, help="output .mid (default: named after the prompt)")
    sp.add_argument("--bars", type=int, help="length in bars (default: from the prompt, else 16)")
    sp.add_argument("--wav", type=Path, help="also render to this .wav with FluidSynth")
    sp.add_argument("--model", default="text2midi", help="a shipped model name or folder")
    _sampling_options(sp)

    sp = add("lyric2melody", cmd_lyric2melody, "Set English lyrics to a melody (MIDI, ABC).")
    sp.add_argument("lyrics", nargs="?", help="the lyrics; line breaks separate lines")
    sp.add_argument("--lyrics-file", type=Path, help="read the lyrics from this UTF-8 file")
    sp.add_argument("--key", default="C", help="e.g. G, Em, F# minor (default C)")
    sp.add_argument("--tempo", type=float, default=96, help="beats per minute (default 96)")
    sp.add_argument("--meter", default="4/4", help="e.g. 3/4, 6/8 (default 4/4)")
    sp.add_argument("--chords", action="store_true", help="add a chord track (and ABC chords)")
    sp.add_argument("-o", "--out", type=Path, help="output .mid (default: named after the lyrics)")
    sp.add_argument("--abc", type=Path, help="also write the melody and lyrics as ABC")
    sp.add_argument("--model", default="lyric2melody", help="a shipped model name or folder")
    sp.add_argument("--seed", type=int, default=0, help="same inputs and seed, same bytes")
    sp.add_argument("--temperature", type=float, default=1.1, help="default 1.1")
    sp.add_argument("--top-p", type=float, default=0.95)
    sp.add_argument("--json", action="store_true", help="print one JSON object")

    sp = add("infill", cmd_infill, "Regenerate, fill in or add tracks and bars of a MIDI file.")
    sp.add_argument("file", type=Path, help="a MIDI, ABC or MusicXML file")
    sp.add_argument("--tracks", help="tracks to rewrite: index, name or instrument, comma list")
    sp.add_argument("--bars", help="only these bars, e.g. 9-16 (default: the whole song)")
    sp.add_argument("--add", help="new tracks, e.g. bass,drums (GM instrument names)")
    sp.add_argument(
        "--chords",
        help='force the harmony: "C G Am F" (a chord per bar, repeated; "C G | Am F" two per '
        "bar); default: recognised per beat from all tracks, so rewritten ones keep theirs",
    )
    sp.add_argument(
        "--reharmonize",
        action="store_true",
        help="chords from the other tracks only: the rewritten tracks may change them",
    )
    sp.add_argument("-o", "--out", type=Path, help="output .mid (default: IN-infill.mid)")
    sp.add_argument("--steps", type=int, default=32, help="diffusion steps (default 32)")
    sp.add_argument("--seed", type=int, default=0, help="same inputs and seed, same bytes")
    sp.add_argument("--temperature", type=float, help="sampling temperature (default 0.8)")
    sp.add_argument("--guidance", type=float, help="classifier-free guidance weight (default 1)")
    sp.add_argument("--model", default="infill", help="a shipped model name or folder")
    sp.add_argument("--json", action="store_true", help="print one JSON object")

    sp = add("info", cmd_info, "Show tracks, instruments, tempo, meter, key, bars and notes.")
    sp.add_argument("file", type=Path)
    sp.add_argument("--json", action="store_true", help="print one JSON object")

    sp = add("tokenize", cmd_tokenize, "Print the tokens of a MIDI or ABC file.")
    sp.add_argument("file", type=Path)
    sp.add_argument("--tokenizer", choices=["remi", "abc"], default="remi")
    sp.add_argument("--out", type=Path, help="write the tokens as JSON to this file")
    sp.add_argument("--json", action="store_true", help="print one JSON object")

    sp = add("render", cmd_render, "Render a MIDI (or ABC) file to WAV with FluidSynth.")
    sp.add_argument("file", type=Path)
    sp.add_argument("-o", "--out", type=Path, required=True, help="output .wav")
    sp.add_argument("--soundfont", type=Path, help="a .sf2 file (default: FluidR3_GM or TimGM6mb)")
    sp.add_argument("--sample-rate", type=int, default=44100)
    sp.add_argument("--json", action="store_true", help="print one JSON object")

    sp = add("data", cmd_data, "Build pre-tokenized shards, or captions for text2midi.")
    sp.add_argument("action", choices=["build", "captions"])
    sp.add_argument("source", help="build: a source (see datasets/) or 'all'; captions: a folder")
    sp.add_argument("--out", type=Path, help="output folder for shards (build)")
    sp.add_argument("--tokenizer", choices=["remi", "abc"], default="remi")
    sp.add_argument("--transpose", default="0", help="semitone offsets, e.g. '-3..3' or '0'")
    sp.add_argument("--workers", type=int, default=2)
    sp.add_argument("--data-root", type=Path, help="the shared data folder (or $SYMGEN_DATA)")
    sp.add_argument("--limit", type=int, help="only the first N pieces (for quick checks)")
    sp.add_argument("--json", action="store_true", help="print one JSON object")

    sp = add("train", cmd_train, "Train a model from a recipe (LightningCLI; --trainer.* etc.).")
    sp.add_argument("recipe", nargs="?", help="recipes/NAME.yaml")

    sp = add("promote", cmd_promote, "Ship a trained model folder into symbolic/checkpoints/.")
    sp.add_argument("folder", type=Path, help="a folder `symgen train` exported, e.g. runs/NAME")
    sp.add_argument("--as", dest="name", help="the shipped name (default: the folder's name)")
    sp.add_argument(
        "--force", action="store_true", help="replace the shipped model even if it is better"
    )
    sp.add_argument("--json", action="store_true", help="print one JSON object")

    sp = add("generate", cmd_generate, "Generate with a language model (ABC tunes, continuations).")
    sp.add_argument("--model", required=True, help="abc-folk, remi-multi, or a model folder")
    sp.add_argument("--prompt", help="ABC header, e.g. 'M:6/8\\nK:D\\nR:jig'")
    sp.add_argument("--continue", dest="continue_path", type=Path, help="a MIDI file to continue")
    sp.add_argument("--bars", type=int, default=8, help="bars to add (with --continue)")
    sp.add_argument("--style", help="style token for remi-multi (e.g. jazz, chorale, pop)")
    sp.add_argument("-o", "--out", type=Path, help="output file or folder")
    _sampling_options(sp)
    return p


def _sampling_options(sp: argparse.ArgumentParser) -> None:
    """Options every sampling command shares."""
    sp.add_argument("--num-samples", type=int, default=1)
    sp.add_argument("--seed", type=int, default=0, help="same inputs and seed, same bytes")
    sp.add_argument("--temperature", type=float, default=1.0)
    sp.add_argument("--top-p", type=float, default=0.95)
    sp.add_argument("--json", action="store_true", help="print one JSON object")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `symgen` console script."""
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "train":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        if args.command == "train":
            args.handler(args, rest)
        else:
            args.handler(args)
    except SymgenError as err:
        if args.debug:
            raise
        print(f"symgen {args.command}: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        sys.stderr.close()  # the reader (e.g. `head`) went away: not an error
        return 0
    except KeyboardInterrupt:
        print(f"symgen {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

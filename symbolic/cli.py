"""The `symgen` command: parse arguments, call the library, print. No logic of its own.

Exit codes: 0 success, 2 usage error (argparse), 1 bad input (`SymgenError`) or an unexpected
error (a bug: one line naming it, the traceback with `--debug`), always one line on stderr.
Everything heavy (torch, music21, models) is imported inside the handlers so `--help` is instant.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
from collections.abc import Callable
from pathlib import Path

from symbolic import __version__
from symbolic.errors import SymgenError
from symbolic.tasks import requests


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
    from symbolic.data.build import build, summary_line

    result = build(
        args.source,
        args.out,
        tokenizer=args.tokenizer,
        transpose=args.transpose,
        workers=args.workers,
        data_root=args.data_root,
        limit=args.limit,
    )
    _emit(args, result, summary_line(result, args.out))


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


def cmd_generate(args: argparse.Namespace) -> None:
    from symbolic.tasks.generate import generate

    result = generate(_request(args))
    _print_notes(result["notes"])
    _emit(args, result, "\n".join(result["outputs"] + result["png"]))


def _print_notes(notes: list[str]) -> None:
    """What the user should know about a result, on stderr once it is written (and in the
    JSON's `notes` with --json)."""
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def cmd_plot(args: argparse.Namespace) -> None:
    from symbolic.plot import plot_file

    png = plot_file(args.file, args.out, bars=args.bars)
    _emit(args, {"path": str(args.file), "png": str(png)}, str(png))


def cmd_eval(args: argparse.Namespace) -> None:
    from symbolic.eval.measures import against, evaluate, reference, report

    rows = evaluate(args.files, progress=True)
    read = [r for r in rows if "error" not in r]
    if not read:
        raise SymgenError(rows[0]["error"] if len(rows) == 1 else "none of the files could be read")
    ref = None
    if args.against:
        ref = reference(evaluate([args.against], progress=True))
        if not ref:
            raise SymgenError(f"{args.against}: no file there could be read and measured")
        against(rows, ref)
    summary = {k: {f: v for f, v in r.items() if f != "values"} for k, r in (ref or {}).items()}
    _emit(args, {"files": rows, "reference": summary}, report(rows, ref))


def cmd_serve(args: argparse.Namespace) -> None:
    from symbolic.serve import serve

    serve(args.host, args.port, args.workers)


def cmd_text2midi(args: argparse.Namespace) -> None:
    from symbolic.tasks.text2midi import text2midi

    result = text2midi(_request(args))
    _print_notes(result["notes"])
    _emit(args, result, "\n".join(result["outputs"] + result["wav"] + result["png"]))


def cmd_lyric2melody(args: argparse.Namespace) -> None:
    from symbolic.tasks.lyric2melody import lyric2melody

    result = lyric2melody(_request(args))
    _emit(args, result, "\n".join(result["outputs"].values()))


def cmd_infill(args: argparse.Namespace) -> None:
    from symbolic.tasks.infill import infill

    result = infill(_request(args))
    _print_notes(result["notes"])
    _emit(args, result, "\n".join(result["outputs"] + result["png"]))


def add_request_options(parser: argparse.ArgumentParser, cls: type) -> None:
    """Declare one option (or positional) per field of the request dataclass `cls`: the type
    from its hint (`X | None` as X, `Path` as Path), booleans as flags, the help, flags,
    metavar and choices from its metadata, and its default, read from the field, in the help.
    Defaults stay in the dataclass: an option left out is not set, and `_request` lets `cls`
    fill it in."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        meta = f.metadata
        kind = _option_type(hints[f.name])
        kwargs: dict[str, typing.Any] = {"help": _help_text(f)}
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction if f.default else "store_true"
        else:
            kwargs["type"] = kind
            kwargs["choices"] = meta.get("choices")
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if not required:
            kwargs["default"] = argparse.SUPPRESS
        if meta.get("positional"):
            kwargs.update({"metavar": meta["metavar"]} if "metavar" in meta else {})
            parser.add_argument(f.name, nargs=None if required else "?", **kwargs)
            continue
        flags = meta.get("flags", ("--" + f.name.replace("_", "-"),))
        if "metavar" in meta or (kind is not bool and "choices" not in meta):  # else {a,b}
            kwargs["metavar"] = meta.get("metavar", flags[-1].lstrip("-").replace("-", "_").upper())
        parser.add_argument(*flags, dest=f.name, required=required, **kwargs)
    parser.set_defaults(request_class=cls)


def _option_type(hint: typing.Any) -> type:
    """The type an option converts to: `Path` for `Path | None`, `int` for `int`."""
    members = [t for t in typing.get_args(hint) or (hint,) if t is not type(None)]
    if len(members) != 1:
        raise TypeError(f"an option needs one type, not {hint}")
    return members[0]


def _help_text(f: dataclasses.Field) -> str:
    """The field's help and its default, "(default: 32)", or what None means; % escaped."""
    text = f.metadata.get("help", "")
    if f.default not in (dataclasses.MISSING, None) and not isinstance(f.default, bool):
        text += f" (default: {f.default})"
    elif f.default is None and "unset" in f.metadata:
        text += f" (default: {f.metadata['unset']})"
    return text.replace("%", "%%")


def _request(args: argparse.Namespace):
    """The request dataclass of the command, from the options given (the rest: its defaults)."""
    cls = args.request_class
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if f.name in args}
    return cls(**given)


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
        # SUPPRESS: left out after the command, it must not reset a --debug given before it
        sp.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        return sp

    sp = add("text2midi", cmd_text2midi, "Write a multi-track MIDI file from a text prompt.")
    add_request_options(sp, requests.Text2MidiRequest)
    _json_option(sp)

    sp = add("lyric2melody", cmd_lyric2melody, "Set English lyrics to a melody (MIDI, ABC).")
    add_request_options(sp, requests.LyricRequest)
    _json_option(sp)

    sp = add("infill", cmd_infill, "Regenerate, fill in or add tracks and bars of a MIDI file.")
    add_request_options(sp, requests.InfillRequest)
    _json_option(sp)

    sp = add("info", cmd_info, "Show tracks, instruments, tempo, meter, key, bars and notes.")
    sp.add_argument("file", type=Path)
    _json_option(sp)

    sp = add("tokenize", cmd_tokenize, "Print the tokens of a MIDI or ABC file.")
    sp.add_argument("file", type=Path)
    sp.add_argument("--tokenizer", choices=["remi", "abc"], default="remi")
    sp.add_argument("--out", type=Path, help="write the tokens as JSON to this file")
    _json_option(sp)

    sp = add("plot", cmd_plot, "Draw a piano roll of a MIDI, ABC or MusicXML file as PNG.")
    sp.add_argument("file", type=Path)
    sp.add_argument("-o", "--out", type=Path, help="output .png (default: beside the file)")
    sp.add_argument("--bars", metavar="A-B", help="only these bars, e.g. 1-8 (default: all)")
    _json_option(sp)

    sp = add("eval", cmd_eval, "Measure music files: key, tempo, pitch, drum, bass and dynamics.")
    sp.add_argument("files", nargs="+", type=Path, metavar="FILE|DIR")
    sp.add_argument("--against", type=Path, metavar="DIR", help="a reference set to compare with")
    _json_option(sp)

    sp = add("render", cmd_render, "Render a MIDI (or ABC) file to WAV with FluidSynth.")
    sp.add_argument("file", type=Path)
    sp.add_argument("-o", "--out", type=Path, required=True, help="output .wav")
    sp.add_argument("--soundfont", type=Path, help="a .sf2 file (default: FluidR3_GM or TimGM6mb)")
    sp.add_argument("--sample-rate", type=int, default=44100)
    _json_option(sp)

    sp = add("serve", cmd_serve, "Open the studio: a local web page to make, see and hear music.")
    sp.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: this machine only)"
    )
    sp.add_argument("--port", type=int, default=7860)
    sp.add_argument("--workers", type=int, default=1, help="jobs run at once (the rest wait)")

    sp = add("data", cmd_data, "Build pre-tokenized shards, or captions for text2midi.")
    sp.add_argument("action", choices=["build", "captions"])
    sp.add_argument("source", help="build: a source (see datasets/) or 'all'; captions: a folder")
    sp.add_argument("--out", type=Path, help="output folder for shards (build)")
    sp.add_argument("--tokenizer", choices=["remi", "abc"], default="remi")
    sp.add_argument("--transpose", default="0", help="semitone offsets, e.g. '-3..3' or '0'")
    sp.add_argument("--workers", type=int, default=2)
    sp.add_argument("--data-root", type=Path, help="the shared data folder (or $SYMGEN_DATA)")
    sp.add_argument("--limit", type=int, help="only the first N pieces (for quick checks)")
    _json_option(sp)

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
    add_request_options(sp, requests.GenerateRequest)
    _json_option(sp)
    return p


def _json_option(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--json", action="store_true", help="print one JSON object")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `symgen` console script."""
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "train":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        from symbolic.score import all_or_nothing

        with all_or_nothing():
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
    except Exception as err:  # a bug, not bad input: one line, the traceback only with --debug
        if args.debug:
            raise
        what = str(err).splitlines()[0][:120] if str(err).strip() else "no message"
        print(
            f"symgen {args.command}: unexpected {type(err).__name__} ({what}); this is a bug: "
            "run again with --debug for the traceback and report it",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

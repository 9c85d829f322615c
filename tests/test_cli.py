"""The command line is built from the request dataclasses: every option, type and default comes
from a field, and `--debug` works before or after the command."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from symbolic.cli import _parser, _request, add_request_options, main
from symbolic.errors import SymgenError
from symbolic.tasks.requests import (
    GenerateRequest,
    InfillRequest,
    LyricRequest,
    Text2MidiRequest,
)

REPO = Path(__file__).resolve().parents[1]
TASKS = {
    "text2midi": Text2MidiRequest,
    "infill": InfillRequest,
    "lyric2melody": LyricRequest,
    "generate": GenerateRequest,
}


def _help(command: str, capsys, monkeypatch) -> str:
    """The command's --help, on one line (wide, so that no default is wrapped or hyphen-split)."""
    monkeypatch.setenv("COLUMNS", "1000")
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("command", list(TASKS))
def test_help_shows_each_default_from_the_dataclass(command, capsys, monkeypatch) -> None:
    text = _help(command, capsys, monkeypatch)
    for f in dataclasses.fields(TASKS[command]):
        if not f.metadata.get("positional"):
            flag = f.metadata.get("flags", (f"--{f.name.replace('_', '-')}",))[-1]
            assert f"{flag} " in text, f"{command}: no option {flag}"
        help_text = " ".join(f.metadata["help"].split())
        if f.default is None and "unset" in f.metadata:
            help_text += f" (default: {f.metadata['unset']})"
        elif f.default not in (dataclasses.MISSING, None) and not isinstance(f.default, bool):
            help_text += f" (default: {f.default})"
        assert help_text in text, f"{command} --help lacks {help_text!r}"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["text2midi", "jazz"], Text2MidiRequest("jazz")),
        (
            ["text2midi", "jazz", "-o", "a.mid", "--bars", "4", "--top-p", "0.9"],
            Text2MidiRequest("jazz", out=Path("a.mid"), bars=4, top_p=0.9),
        ),
        (["infill", "in.mid", "--tracks", "piano"], InfillRequest(Path("in.mid"), "piano")),
        (
            ["infill", "in.mid", "--add", "bass", "--reharmonize", "--steps", "4"],
            InfillRequest(Path("in.mid"), add="bass", reharmonize=True, steps=4),
        ),
        (["lyric2melody", "la la"], LyricRequest("la la")),
        (["lyric2melody", "--lyrics-file", "v.txt"], LyricRequest(lyrics_file=Path("v.txt"))),
        (
            ["generate", "--model", "remi-multi", "--continue", "in.mid", "--bars", "2"],
            GenerateRequest("remi-multi", continue_path=Path("in.mid"), bars=2),
        ),
    ],
)
def test_options_become_the_request(argv: list[str], expected) -> None:
    """What the command line builds is the dataclass the Python API takes, defaults included."""
    assert _request(_parser().parse_args(argv)) == expected


def test_task_functions_take_only_the_request() -> None:
    """One set of defaults: the task functions have no keyword defaults of their own."""
    import inspect

    from symbolic.tasks.generate import generate
    from symbolic.tasks.infill import infill
    from symbolic.tasks.lyric2melody import lyric2melody
    from symbolic.tasks.text2midi import Text2MidiRequest as Exported
    from symbolic.tasks.text2midi import text2midi

    assert Exported is Text2MidiRequest
    for fn in (text2midi, infill, lyric2melody, generate):
        assert list(inspect.signature(fn).parameters) == ["request"], fn.__name__


def test_paths_given_as_strings_become_paths() -> None:
    request = InfillRequest("in.mid", "piano", out="out.mid")
    assert request.file == Path("in.mid") and request.out == Path("out.mid")


@dataclasses.dataclass(frozen=True)
class _Toy:
    name: str = dataclasses.field(metadata={"help": "a name", "positional": True})
    needed: float = dataclasses.field(metadata={"help": "needed"})
    count: int = dataclasses.field(default=3, metadata={"help": "how many"})
    mode: str = dataclasses.field(default="a", metadata={"help": "mode", "choices": ("a", "b")})
    path: Path | None = dataclasses.field(default=None, metadata={"help": "a file"})
    loud: bool = dataclasses.field(default=False, metadata={"help": "be loud"})
    keep: bool = dataclasses.field(default=True, metadata={"help": "keep it"})


def test_helper_types_choices_flags_and_required(capsys) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="toy")
    add_request_options(parser, _Toy)
    args = parser.parse_args(
        ["x", "--needed", "1", "--count", "5", "--path", "p.mid", "--loud", "--no-keep"]
    )
    assert args.count == 5 and args.path == Path("p.mid") and args.loud and not args.keep
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["x", "--needed", "1", "--mode", "c"])
    assert exit_.value.code == 2 and "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["x"])  # --needed has no default: a required option
    assert exit_.value.code == 2 and "--needed" in capsys.readouterr().err
    request = _request(parser.parse_args(["x", "--needed", "0.5"]))
    assert request == _Toy("x", 0.5)


def test_unknown_option_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["text2midi", "jazz", "--temprature", "0.9"])
    assert exit_.value.code == 2 and "--temprature" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_before_or_after_the_command(where: str, tmp_path: Path) -> None:
    """In process: with --debug on either side of the command, the error is raised."""
    missing = str(tmp_path / "missing.mid")
    argv = ["--debug", "info", missing] if where == "before" else ["info", missing, "--debug"]
    with pytest.raises(SymgenError):
        main(argv)


@pytest.mark.parametrize(
    ("argv", "traceback"),
    [
        (["info", "MISSING"], False),
        (["--debug", "info", "MISSING"], True),
        (["info", "MISSING", "--debug"], True),
    ],
    ids=["plain", "debug-before", "debug-after"],
)
def test_debug_traceback_only_when_asked(argv: list[str], traceback: bool, tmp_path) -> None:
    """As a user runs it: one line and exit 1 without --debug; a traceback with it."""
    missing = str(tmp_path / "missing.mid")
    proc = subprocess.run(
        [sys.executable, "-m", "symbolic.cli", *(missing if a == "MISSING" else a for a in argv)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert ("Traceback" in proc.stderr) is traceback, proc.stderr
    if not traceback:
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_requests_module_is_light() -> None:
    """`symgen --help` reads the requests: they must not pull in numpy, symusic or torch."""
    code = (
        "import sys, symbolic.cli; "
        "print(sorted(m for m in ('torch', 'numpy', 'symusic', 'music21') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert proc.stdout.strip() == "[]"

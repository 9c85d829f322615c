"""`symgen generate` with the shipped models, and the 1,000-sample grammar guarantee."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symbolic.paths import checkpoint_dir

pytestmark = pytest.mark.skipif(
    not (checkpoint_dir("abc-folk") / "config.json").exists()
    or not (checkpoint_dir("remi-multi") / "config.json").exists(),
    reason="the shipped models are not in symbolic/checkpoints",
)


def symgen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "symbolic.cli", *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def eight_bars(tmp_path_factory) -> Path:
    """The first 8 bars of a Bach chorale, written by the test as a MIDI file."""
    import music21

    from symbolic.score import from_music21, save_midi

    score = from_music21(music21.corpus.parse("bach/bwv66.6"))
    path = tmp_path_factory.mktemp("in") / "chorale8.mid"
    save_midi(score.clip(0, 8 * 4 * score.tpq), path)
    return path


def test_abc_folk_writes_jigs_as_asked(tmp_path):
    from symbolic.eval.abc import judge_abc

    out = tmp_path / "tunes"
    res = symgen(
        "generate",
        "--model",
        "abc-folk",
        "--prompt",
        "M:6/8\\nK:D\\nR:jig",
        "--num-samples",
        "3",
        "--seed",
        "5",
        "-o",
        str(out),
        "--json",
    )
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    abcs = sorted(out.glob("*.abc"))
    assert len(abcs) == 3 and len(sorted(out.glob("*.mid"))) == 3
    assert set(info["outputs"]) == {str(p) for p in out.iterdir()}
    for path in abcs:
        verdict = judge_abc(path.read_text(), meter="6/8", key="D")
        assert verdict["parsed"] and verdict["meter_ok"] and verdict["key_ok"], verdict
    again = tmp_path / "again"
    symgen(
        "generate",
        "--model",
        "abc-folk",
        "--prompt",
        "M:6/8\\nK:D\\nR:jig",
        "--num-samples",
        "3",
        "--seed",
        "5",
        "-o",
        str(again),
    )
    for path in out.iterdir():
        assert path.read_bytes() == (again / path.name).read_bytes()


def test_remi_multi_continues_a_file(eight_bars, tmp_path):
    from symbolic.score import load

    out = tmp_path / "more.mid"
    before = eight_bars.read_bytes()
    res = symgen(
        "generate",
        "--model",
        "remi-multi",
        "--continue",
        str(eight_bars),
        "--bars",
        "4",
        "--style",
        "chorale",
        "-o",
        str(out),
        "--seed",
        "2",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    assert eight_bars.read_bytes() == before
    src, new = load(eight_bars), load(out)
    end = 8 * 4 * src.tpq
    assert [t.name for t in new.tracks] == [t.name for t in src.tracks]
    assert [t.program for t in new.tracks] == [t.program for t in src.tracks]
    assert new.tempos[0].qpm == pytest.approx(src.tempos[0].qpm)
    assert (new.time_signatures[0].numerator, new.time_signatures[0].denominator) == (4, 4)
    added = 0
    for a, b in zip(src.tracks, new.tracks, strict=True):
        na, nb = a.notes.numpy(), b.notes.numpy()
        old = nb["time"] < end
        for field in ("time", "duration", "pitch"):
            np.testing.assert_array_equal(na[field], nb[field][old])
        added += int((~old).sum())
        assert (nb["time"][~old] < end + 4 * 4 * src.tpq).all()
    assert added > 0
    res2 = symgen(
        "generate",
        "--model",
        "remi-multi",
        "--continue",
        str(eight_bars),
        "--bars",
        "4",
        "--style",
        "chorale",
        "-o",
        str(tmp_path / "b.mid"),
        "--seed",
        "2",
    )
    assert res2.returncode == 0 and (tmp_path / "b.mid").read_bytes() == out.read_bytes()


def test_generate_refuses_bad_requests(eight_bars, tmp_path):
    cases = [
        ("--model", "no-such-model", "--prompt", "K:D"),
        ("--model", "remi-multi", "--prompt", "K:D"),
        ("--model", "remi-multi", "--continue", str(tmp_path / "missing.mid")),
        ("--model", "remi-multi", "--continue", str(eight_bars), "-o", str(eight_bars)),
        ("--model", "abc-folk", "--prompt", "this is not a header"),
    ]
    for args in cases:
        res = symgen("generate", *args)
        assert res.returncode == 1, (args, res.stderr)
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


@pytest.mark.parametrize("name", ["abc-folk", "remi-multi"])
def test_a_thousand_samples_all_decode(name):
    """The grammar guarantee: every sampled sequence of a shipped model decodes."""
    from remi_checks import structure_errors

    from symbolic.eval.abc import judge_abc
    from symbolic.models.checkpoint import load_model
    from symbolic.models.sampling import SampleConfig, sample

    lm = load_model(name)
    tok = lm.tokenizer
    ok = 0
    for batch in range(4):
        cfg = SampleConfig(max_new_tokens=160, seed=batch)
        if name == "abc-folk":
            header = ["M:6/8\nK:D\nR:jig", "M:4/4\nK:G\nR:reel", "M:3/4\nK:F", "M:9/8\nK:Em"][batch]
            prompt = tok.prefix(header)
            grammars = [tok.grammar(max_body_tokens=150) for _ in range(250)]
        else:
            style = ["pop", "jazz", "chorale", "folk"][batch]
            prompt = tok.prefix(style=style)
            grammars = [tok.grammar(max_bars=2) for _ in range(250)]
        for new in sample(lm.decoder, prompt, grammars, cfg, num_samples=250):
            if name == "abc-folk":
                ok += new[-1] == tok.eos_id and judge_abc(tok.decode(prompt + new))["parsed"]
            else:
                tokens = tok.tokens(new)
                notes = sum(t.startswith(("Pitch_", "PitchDrum_")) for t in tokens)
                decoded = sum(t.note_num() for t in tok.decode(new).tracks)
                cut = 0 if new[-1] == tok.eos_id else 1  # the token limit may end inside a note
                ok += structure_errors(tokens) == 0 and 0 <= notes - decoded <= cut
    assert ok == 1000


# --- options are never silently ignored; no traceback without --debug ------------------------


def test_options_that_do_not_apply_are_reported(eight_bars, tmp_path, monkeypatch, capsys):
    import symbolic.tasks.generate as generate
    from symbolic.cli import main

    monkeypatch.setattr(generate, "_abc_tunes", lambda *a: {"outputs": [], "prompt": ""})
    monkeypatch.setattr(generate, "_continue_midi", lambda *a, **k: {"outputs": []})
    abc = ["--model", "abc-folk", "--prompt", "K:D", "--bars", "4", "--style", "jazz", "--raw"]
    assert main(["generate", *abc, "-o", str(tmp_path / "tunes")]) == 0
    err = capsys.readouterr().err
    assert "--bars does not apply to abc-folk" in err and "--style does not apply" in err
    assert "--raw does not apply to abc-folk" in err
    remi = ["--model", "remi-multi", "--continue", str(eight_bars), "--prompt", "K:D"]
    assert main(["generate", *remi, "--style", "pop"]) == 0
    assert "--prompt does not apply to remi-multi" in capsys.readouterr().err


def test_a_style_the_model_has_not_learned_is_refused(eight_bars, tmp_path):
    out = tmp_path / "out.mid"
    res = symgen(
        "generate", "--model", "remi-multi", "--continue", str(eight_bars), "--style", "polka",
        "-o", str(out),
    )  # fmt: skip
    assert res.returncode == 1 and not out.exists()
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "has not learned the style 'polka'" in lines[0]
    assert "chorale" in lines[0] and "Traceback" not in res.stderr


def test_text2midi_says_when_it_writes_fewer_bars(tmp_path, monkeypatch):
    import symbolic.tasks.common as common
    from symbolic.tasks.text2midi import Text2MidiRequest, text2midi

    real = common.sample_bars

    def two_bars(lm, controls, context, bars, *args, **kwargs):
        return real(lm, controls, context, min(bars, 2), *args, **kwargs)

    monkeypatch.setattr(common, "sample_bars", two_bars)
    result = text2midi(Text2MidiRequest("a jazz tune", bars=4, out=tmp_path / "a.mid"))
    assert any("wrote 2 of the 4 bars asked" in note for note in result["notes"])


def test_an_unexpected_error_is_one_line_unless_debug(monkeypatch, capsys):
    import symbolic.cli as cli

    def broken(args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "cmd_info", broken)
    assert cli.main(["info", "x.mid"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "RuntimeError" in err[0] and "boom" in err[0] and "--debug" in err[0]
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "info", "x.mid"])

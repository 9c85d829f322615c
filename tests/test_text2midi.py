"""`symgen text2midi`: what the prompt names is in the file (judged from the MIDI alone)."""

from __future__ import annotations

import json
import subprocess
import sys

import mido
import pytest

from symbolic.paths import checkpoint_dir

pytestmark = pytest.mark.skipif(
    not (checkpoint_dir("text2midi") / "text_prefix.safetensors").exists(),
    reason="the shipped text2midi model is not in symbolic/checkpoints",
)


def symgen(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "symbolic.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


def test_prompt_is_honoured(tmp_path):
    from symbolic.score import describe, load

    out = tmp_path / "piece.mid"
    res = symgen(
        "text2midi",
        "a waltz in E minor at 132 bpm for violin, cello and piano",
        "--bars",
        "4",
        "-o",
        str(out),
        "--seed",
        "3",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["outputs"] == [str(out)]
    assert set(info["timings"]) == {"parse", "load", "sample", "write"}
    desc = describe(load(out))
    assert desc["meter"] == "3/4" and desc["tempo"] == pytest.approx(132)
    assert desc["key"] == "E minor" and desc["bars"] <= 4
    programs = {t["program"] for t in desc["tracks"] if t["notes"]}
    assert programs == {40, 42, 0}
    names = [t["name"] for t in desc["tracks"]]
    assert "Violin" in names and "Cello" in names
    midi = mido.MidiFile(out)
    assert midi.type == 1 and midi.ticks_per_beat == 480
    again = tmp_path / "again.mid"
    symgen(
        "text2midi",
        "a waltz in E minor at 132 bpm for violin, cello and piano",
        "--bars",
        "4",
        "-o",
        str(again),
        "--seed",
        "3",
    )
    assert again.read_bytes() == out.read_bytes()


def test_default_name_and_notes(tmp_path):
    res = symgen("text2midi", "jazz in C minor", "--bars", "2", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "jazz-in-c-minor.mid").exists()
    assert "note:" in res.stderr  # what was filled in is said in plain words


def test_jazz_in_c_minor_is_in_c_minor_with_a_jazz_line_up(tmp_path):
    """The README's first prompt: the text model, music21 hears C minor, a jazz band plays."""
    import music21

    from symbolic.score import describe, load

    out = tmp_path / "jazz.mid"
    res = symgen("text2midi", "jazz in C minor", "--bars", "8", "-o", str(out), "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["model"] == "text2midi" and info["style"] == "jazz"
    key = music21.converter.parse(str(out)).analyze("key")
    assert (key.tonic.name, key.mode) == ("C", "minor")
    families = {t["family"] for t in describe(load(out))["tracks"] if t["notes"]}
    assert {"Bass", "Reed", "Drums"} <= families


def test_a_style_the_model_has_not_learned_is_mapped_and_said(tmp_path):
    res = symgen("text2midi", "a string quartet in D major", "--bars", "2", "--json",
                 "-o", str(tmp_path / "q.mid"))  # fmt: skip
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["style"] != "classical" and any("has not learned" in n for n in info["notes"])
    assert "has not learned" in res.stderr


@pytest.mark.parametrize(
    "prompt",
    ["", "x" * 6000, "zzqx blorp", "Ein trauriges Stück in a-Moll, 70 bpm", "爵士乐 C小调"],
    ids=["empty", "too-long", "nonsense", "german", "chinese"],
)
def test_odd_prompts_give_a_result_or_one_clear_line(tmp_path, prompt):
    res = symgen("text2midi", prompt, "--bars", "2", "-o", str(tmp_path / "o.mid"))
    assert "Traceback" not in res.stderr
    if res.returncode == 0:
        assert (tmp_path / "o.mid").exists()
    else:
        assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "o.mid").exists()

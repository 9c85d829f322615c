"""Training: a recipe runs, exports a loadable folder, and resumes exactly after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from symbolic.tokenize import get_tokenizer
from symbolic.train.data import ResumableSampler, warm_seed

VOCAB = len(get_tokenizer("remi").vocab)  # the REMI spec's size (the shards are built with it)

TINY = {
    "seed_everything": 0,
    "trainer": {
        "accelerator": "cpu",
        "devices": 1,
        "max_steps": 12,
        "val_check_interval": 6,
        "limit_val_batches": 2,
        "logger": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
    },
    "model": {
        "vocab_size": VOCAB,
        "d_model": 32,
        "n_layers": 1,
        "n_heads": 2,
        "d_ff": 64,
        "max_len": 128,
    },
    "data": {"seq_len": 64, "batch_size": 2, "seed": 3},
    "ckpt_every": 2,
}


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> Path:
    from symbolic.data.build import build

    out = tmp_path_factory.mktemp("shards")
    build("chorales", out, tokenizer="remi", workers=1, limit=12)
    return out


def _recipe(tmp: Path, shards: Path, name: str) -> Path:
    cfg = {**TINY, "data": {**TINY["data"], "path": str(shards)}}
    cfg["trainer"] = {**cfg["trainer"], "default_root_dir": str(tmp / f"root-{name}")}
    cfg["ckpt_dir"] = str(tmp / f"ckpt-{name}")
    cfg["export"] = str(tmp / f"model-{name}")
    cfg["card"] = {"name": name}
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _train(recipe: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
    return subprocess.Popen(
        [sys.executable, "-m", "symbolic.cli", "train", str(recipe)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def test_sampler_resumes_mid_epoch():
    class Items:
        def __len__(self):
            return 10

    a = ResumableSampler(Items(), seed=1)
    it = iter(a)
    first = [next(it) for _ in range(4)]
    state = a.state_dict()
    rest = list(it)
    b = ResumableSampler(Items(), seed=1)
    b.load_state_dict(state)
    assert list(b) == rest and sorted(first + rest) == list(range(10))
    assert list(a) != first + rest  # the next epoch is another permutation


def test_an_epoch_left_short_does_not_empty_the_next():
    """Lightning stops after the last full batch; the next epoch must still be whole."""

    class Items:
        def __len__(self):
            return 10

    sampler = ResumableSampler(Items(), seed=1)
    it = iter(sampler)
    [next(it) for _ in range(8)]  # two batches of 4; the last 2 items are never asked for
    sampler.set_epoch(1)
    second = list(sampler)
    assert sorted(second) == list(range(10))
    sampler.set_epoch(1)  # the same epoch again (a resume) keeps the position
    assert sampler.state_dict() == {"epoch": 2, "consumed": 0}


@pytest.mark.slow
def test_killed_training_resumes_to_the_same_weights(tmp_path, shards):
    whole = _train(_recipe(tmp_path, shards, "whole"))
    assert whole.wait(timeout=600) == 0, whole.stdout.read()[-2000:]

    recipe = _recipe(tmp_path, shards, "killed")
    run = _train(recipe)
    ckpt = tmp_path / "ckpt-killed" / "last.ckpt"
    deadline = time.time() + 600
    while not ckpt.exists() and time.time() < deadline and run.poll() is None:
        time.sleep(0.2)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert ckpt.exists() and not (tmp_path / "model-killed").exists()
    resumed = _train(recipe)
    assert resumed.wait(timeout=600) == 0, resumed.stdout.read()[-2000:]

    a, b = _weights(tmp_path / "model-whole"), _weights(tmp_path / "model-killed")
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].equal(b[key]), key


def test_export_loads_with_transformers_and_symgen(tmp_path, shards):
    cfg = yaml.safe_load(_recipe(tmp_path, shards, "small").read_text())
    cfg["trainer"]["max_steps"] = 2
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(cfg))
    proc = _train(path)
    assert proc.wait(timeout=600) == 0, proc.stdout.read()[-2000:]
    folder = tmp_path / "model-small"
    for name in ("config.json", "model.safetensors", "tokenizer.json", "card.json", "README.md"):
        assert (folder / name).exists(), name
    from transformers import AutoModelForCausalLM

    from symbolic.models.checkpoint import load_model

    assert AutoModelForCausalLM.from_pretrained(folder).config.vocab_size == VOCAB
    loaded = load_model(folder)
    assert loaded.card["train_steps"] == 2 and "val_loss" in loaded.card


def test_run_time_stops_a_run_and_the_next_resumes_counting_tokens(tmp_path, shards):
    """`run_time` ends this run (whatever `max_steps` says) with a checkpoint; the next run
    goes on from it and the card counts the tokens of both."""
    import json

    cfg = yaml.safe_load(_recipe(tmp_path, shards, "timed").read_text())
    cfg["trainer"]["max_steps"] = 100_000
    cfg["run_time"] = "00:00:02"
    path = tmp_path / "timed.yaml"
    path.write_text(yaml.safe_dump(cfg))
    cards = []
    for _ in range(2):
        proc = _train(path)
        assert proc.wait(timeout=600) == 0, proc.stdout.read()[-2000:]
        cards.append(json.loads((tmp_path / "model-timed" / "card.json").read_text()))
    first, second = cards
    assert 0 < first["train_steps"] < second["train_steps"] < 100_000
    per_step = 2 * 64  # batch_size × seq_len
    assert first["tokens_seen"] == first["train_steps"] * per_step
    assert second["tokens_seen"] == second["train_steps"] * per_step
    assert second["data_build"]["splits"]["train"]["pieces"] > 0


def test_a_stop_file_ends_a_run_with_a_checkpoint_and_an_export(tmp_path, shards):
    """`touch CKPT_DIR/STOP` stops a run at its next step, saved and exported like `run_time`."""
    import json

    cfg = yaml.safe_load(_recipe(tmp_path, shards, "stopped").read_text())
    cfg["trainer"]["max_steps"] = 100_000
    path = tmp_path / "stopped.yaml"
    path.write_text(yaml.safe_dump(cfg))
    stop = Path(cfg["ckpt_dir"]) / "STOP"
    stop.parent.mkdir(parents=True, exist_ok=True)
    stop.touch()  # a stale file from an earlier run does not stop this one at once
    proc = _train(path)
    time.sleep(1)
    deadline = time.monotonic() + 300
    while stop.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)  # the run removes the stale file when it starts training
    time.sleep(3)
    stop.touch()
    assert proc.wait(timeout=600) == 0, proc.stdout.read()[-2000:]
    card = json.loads((tmp_path / "model-stopped" / "card.json").read_text())
    assert 1 < card["train_steps"] < 100_000
    assert (Path(cfg["ckpt_dir"]) / "last.ckpt").exists()


def test_a_warm_start_carries_the_token_count_and_the_chain(tmp_path, shards):
    """A run started from an exported model (`init_from`) counts its tokens on top of that
    model's and names it in the card."""
    import json

    cfg = yaml.safe_load(_recipe(tmp_path, shards, "first").read_text())
    cfg["trainer"]["max_steps"] = 2
    (tmp_path / "first.yaml").write_text(yaml.safe_dump(cfg))
    assert _train(tmp_path / "first.yaml").wait(timeout=600) == 0
    first = json.loads((tmp_path / "model-first" / "card.json").read_text())
    cfg = yaml.safe_load(_recipe(tmp_path, shards, "second").read_text())
    cfg["trainer"]["max_steps"] = 3
    cfg["model"]["init_from"] = str(tmp_path / "model-first")
    (tmp_path / "second.yaml").write_text(yaml.safe_dump(cfg))
    proc = _train(tmp_path / "second.yaml")
    assert proc.wait(timeout=600) == 0, proc.stdout.read()[-2000:]
    second = json.loads((tmp_path / "model-second" / "card.json").read_text())
    assert second["tokens_seen"] == first["tokens_seen"] + 3 * 2 * 64
    assert second["warm_start"] == [str(tmp_path / "model-first")]


def test_a_warm_start_draws_new_data_for_new_weights(tmp_path):
    """A run from scratch keeps its seed; one started from a model folder gets a seed of that
    model's weights: the same folder the same data, a model trained further new data."""
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, payload in ((first, b"weights one"), (second, b"weights two")):
        folder.mkdir()
        (folder / "config.json").write_text("{}")
        (folder / "model.safetensors").write_bytes(payload)
    assert warm_seed(3, "") == warm_seed(3, None) == 3
    assert warm_seed(3, str(first)) == warm_seed(3, str(first)) != 3
    assert warm_seed(3, str(first)) != warm_seed(3, str(second))


def test_a_warm_start_grows_an_appended_vocabulary():
    """A model whose tokenizer appended tokens starts from the old one: the old rows are
    copied, the new ones keep their fresh initialisation; other weights must fit exactly."""
    import torch

    from symbolic.train.module import _grown

    old, fresh = torch.zeros(5, 3), torch.ones(7, 3)
    grown = _grown(old, fresh)
    assert grown.shape == (7, 3)
    assert grown[:5].eq(0).all() and grown[5:].eq(1).all()
    assert _grown(torch.zeros(5, 4), fresh).shape == (5, 4)  # a wider model: left to fail
    assert _grown(torch.zeros(9, 3), fresh).shape == (9, 3)  # a shrunk vocabulary: likewise


def test_a_text_model_resumed_from_its_export_keeps_its_prefix_and_one_chain_link(tmp_path):
    """A text-conditioned model started from its own last export gets that export's text-prefix
    weights too (not a fresh MLP), and its card names the folder once, however many sessions
    resumed from it."""
    import json

    import torch

    from symbolic.models.checkpoint import export
    from symbolic.train.module import LMModule

    shape = {"vocab_size": VOCAB, "d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64}
    first = LMModule(**shape, text_dim=8, text_prefix=2)
    folder = tmp_path / "text-model"
    card = {"name": "t", "tokens_seen": 100, "warm_start": [str(folder), "older"]}
    export(first.model, get_tokenizer("remi"), folder, card, first.extra_weights())
    (folder / "card.json").write_text(json.dumps(card))
    second = LMModule(**shape, text_dim=8, text_prefix=2, init_from=str(folder))
    for key, value in first.text_proj.state_dict().items():
        assert torch.allclose(second.text_proj.state_dict()[key], value, atol=1e-2), key
    assert second.warm_start == [str(folder), "older"]
    assert second.tokens_seen == 100

"""Text conditioning for text2midi: the sentence encoder, the captions, the text prefix."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from symbolic.data.captions import caption, chord_symbol
from symbolic.prompt import parse_prompt

RECORDS = [
    {"source": "wjazzd", "key": "Cm", "tempo": 182.0, "meter": "4/4", "programs": [66, 32, 0],
     "bars": 48, "density": 12.0, "chords": ["C-7", "F7", "BbMaj7"]},
    {"source": "nottingham", "key": "D", "tempo": 120.0, "meter": "6/8", "programs": [73, 0],
     "bars": 32, "density": 6.0},
    {"source": "chorales", "key": "F#m", "tempo": 76.0, "meter": "3/4", "programs": [52],
     "bars": 20, "density": 15.0},
    {"source": "pop909", "key": "Bb", "tempo": 92.0, "meter": "4/4", "programs": [0],
     "bars": 64, "density": 20.0, "chords": [[0.0, 1.0, "Bb:maj"], [1.0, 2.0, "G:min7/b3"]]},
]  # fmt: skip
STYLES = {"wjazzd": "jazz", "nottingham": "folk", "chorales": "chorale", "pop909": "pop"}


@pytest.mark.parametrize("seed", range(60))
def test_captions_name_what_the_piece_is(seed):
    """Every attribute a caption names is what the prompt parser reads back from it."""
    record = RECORDS[seed % len(RECORDS)]
    text, named = caption(record, np.random.default_rng(seed))
    attrs = parse_prompt(text)
    if "key" in named:
        assert attrs.key == record["key"], text
    if "meter" in named and "like a" not in text:
        assert attrs.meter == record["meter"], text
    if "tempo" in named and re.search(r"\d+ (bpm|beats)|tempo \d", text.lower()):
        assert attrs.tempo == pytest.approx(record["tempo"], abs=1), text
    if "instruments" in named:
        assert set(record["programs"]) <= set(attrs.instruments), text


def test_captions_vary_and_leave_things_out():
    texts = [caption(RECORDS[0], np.random.default_rng(i)) for i in range(40)]
    assert len({t for t, _ in texts}) == 40
    assert any("key" not in named for _, named in texts)
    assert any("chords" in named for _, named in texts)


@pytest.mark.parametrize(
    ("velocity", "spread", "level"),
    [(48, 12.0, "soft"), (110, 9.0, "loud"), (80, 15.0, "medium"), (80, 0.0, None)],
)
def test_captions_say_how_loud_a_performed_piece_plays(velocity, spread, level):
    """Dynamics words come from the velocities of performed pieces only (notation has one)."""
    from symbolic.data.captions import DYNAMICS

    record = {**RECORDS[0], "velocity": velocity, "velocity_spread": spread}
    texts = [caption(record, np.random.default_rng(i)) for i in range(40)]
    said = [t for t, named in texts if "dynamics" in named]
    if level is None:
        assert not said
        return
    assert 10 <= len(said) <= 30
    others = {w for name, words in DYNAMICS.items() if name != level for w in words}
    for text in said:
        assert any(w in text for w in DYNAMICS[level]), text
        assert not any(f" {w}," in f" {text}," or text.endswith(w) for w in others), text


def test_chord_symbols():
    assert chord_symbol("C:min7/b3") == "Cm7"
    assert chord_symbol("Bb-7") == "Bbm7"
    assert chord_symbol("F#:maj") == "F#"
    assert chord_symbol("NC") == ""


def test_encoder_matches_sentence_transformers():
    st = pytest.importorskip("sentence_transformers")
    from symbolic.models.text_encoder import load_encoder
    from symbolic.paths import text_encoder_dir

    texts = ["jazz in C minor", "a sad waltz for strings at 70 bpm", "", "爵士乐 " * 200]
    ours = load_encoder().encode(texts)
    ref = st.SentenceTransformer(str(text_encoder_dir()), device="cpu").encode(
        texts, normalize_embeddings=True
    )
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_text_prefix_decoder_matches_training_forward(tmp_path):
    """The exported text-conditioned model samples with the same logits it was trained with."""
    from symbolic.models.checkpoint import export
    from symbolic.models.sampling import FastDecoder
    from symbolic.tokenize.remi import load_remi_tokenizer
    from symbolic.train.module import LMModule

    tok = load_remi_tokenizer()
    torch.manual_seed(0)
    module = LMModule(
        tok.vocab_size, d_model=64, n_layers=2, n_heads=4, d_ff=128, max_len=256,
        text_dim=384, text_prefix=3,
    ).eval()  # fmt: skip
    for p in module.parameters():  # bf16 export: make the reference bf16-exact too
        p.data = p.data.to(torch.bfloat16).float()
    ids = torch.randint(3, 600, (2, 30))
    emb = torch.randn(2, 384)
    labels = torch.full_like(ids, -100)
    labels[:, 10:] = ids[:, 10:]
    loss, _ = module._loss((ids, labels, emb))
    assert torch.isfinite(loss)
    export(module.model, tok, tmp_path, {"name": "t"}, module.extra_weights())
    assert json.loads((tmp_path / "card.json").read_text())["parameters"] > 0
    fast = FastDecoder.from_folder(tmp_path)
    with torch.no_grad():
        prefix = module.text_proj(emb).view(2, 3, 64)
        embeds = torch.cat([prefix, module.model.get_input_embeddings()(ids)], 1)
        ref = module.model(inputs_embeds=embeds).logits[:, 3:]
    for row in range(2):
        fast.reset(1)
        got = fast.forward(ids[row : row + 1, :20].numpy(), fast.text_prefix(emb[row].numpy()))
        np.testing.assert_allclose(got[0], ref[row, 19].numpy(), atol=2e-3, rtol=2e-3)
        step = fast.forward(ids[row : row + 1, 20:21].numpy())
        np.testing.assert_allclose(step[0], ref[row, 20].numpy(), atol=2e-3, rtol=2e-3)


def test_data_captions_command(tmp_path, capsys):
    from symbolic.cli import main

    assert main(["data", "captions", str(tmp_path / "missing")]) == 1
    assert "data build" in capsys.readouterr().err
    assert main(["data", "build", "nottingham"]) == 1  # no --out: one clear line
    folder = tmp_path / "shards"
    folder.mkdir()
    rows = [
        {**r, "id": f"p{i}", "split": "val" if i == 0 else "train"} for i, r in enumerate(RECORDS)
    ]
    (folder / "meta.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["data", "captions", str(folder), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"train": 3, "val": 1}
    emb = np.load(folder / "captions.train.npy")
    assert emb.shape == (3, 8, 384) and emb.dtype == np.float16
    assert np.allclose(np.linalg.norm(emb.astype(np.float32), axis=-1), 1, atol=1e-2)

"""The grid denoiser and its sampler (`symbolic.models.diffusion`) on small random networks:
the sampler fills exactly the target cells with well-formed cells, the chord-interval table
raises chord tones of pitched rows only, older weights warm-start a newer network, and row
roles read register and texture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from symbolic.models.diffusion import (
    Context,
    DiffusionConfig,
    GridDenoiser,
    load,
    role_prior,
    sample,
    save,
)
from symbolic.theory.gm import DRUM_NAMES
from symbolic.tokenize.grid import (
    DRUM_PROGRAM,
    EMPTY,
    MASK,
    PAD_PROGRAM,
    PITCH_OFFSET,
    QUALITIES,
    ROLES,
    chord_id,
    row_roles,
)

TINY = DiffusionConfig(width=32, d_model=32, n_layers=1, n_heads=2, d_ff=64, d_row=16)
NEW = ("chroma.weight", "pitch_class.", "octave.", "harmony", "chord_head.", "role.")


def _net(seed: int = 0) -> GridDenoiser:
    torch.manual_seed(seed)
    net = GridDenoiser(TINY).eval()
    for p in net.parameters():  # the new terms start at zero; give them a voice
        torch.nn.init.normal_(p, std=0.1)
    return net


def _batch(seed: int = 0) -> tuple[torch.Tensor, Context]:
    g = torch.Generator().manual_seed(seed)
    c, r, k = TINY.width, TINY.rows, TINY.slots
    cells = torch.zeros(1, c, r, k, 3, dtype=torch.long)
    notes = torch.rand(1, c, r, generator=g) < 0.3
    cells[..., 0, 0] = torch.where(notes, torch.randint(40, 90, (1, c, r), generator=g), EMPTY)
    cells[..., 0, 1] = torch.where(notes, 4, EMPTY)
    cells[..., 0, 2] = torch.where(notes, 9, EMPTY)
    programs = torch.tensor([[0, 33, DRUM_PROGRAM, 40, PAD_PROGRAM, 0, 0, 0]])
    roles = torch.tensor([[5, 2, 30, 0, 0, 17, 9, 9]])
    chords = torch.full((1, c), chord_id(0, "maj"), dtype=torch.long)
    bars = (torch.arange(c) % 16)[None]
    pad = torch.zeros(1, c, dtype=torch.bool)
    return cells, Context(programs, roles, chords, bars, pad)


def test_sample_fills_exactly_the_targets() -> None:
    cells, ctx = _batch()
    target = torch.zeros(cells.shape[:3], dtype=torch.bool)
    target[:, 8:24, 1] = True
    target[:, :, 3] = True
    given = cells.masked_fill(target[..., None, None], MASK)
    out = sample(_net(), given, target, ctx, steps=4, guidance=1.0)
    assert torch.equal(out[~target], cells[~target])
    filled = out[target]
    assert not (filled == MASK).any()
    sounding = filled[..., 0] >= PITCH_OFFSET
    assert torch.equal(sounding, filled[..., 1] != EMPTY)
    assert torch.equal(sounding, filled[..., 2] != EMPTY)
    # slots sorted by pitch, empty ones last, no repeated pitch
    key = torch.where(sounding, filled[..., 0], 10_000)
    assert (key[..., 1:] >= key[..., :-1]).all()
    assert not ((key[..., 1:] == key[..., :-1]) & sounding[..., 1:]).any()


def test_same_seed_same_cells() -> None:
    cells, ctx = _batch(1)
    target = torch.zeros(cells.shape[:3], dtype=torch.bool)
    target[:, :, 0] = True
    runs = [
        sample(_net(), cells, target, ctx, steps=3,
               generator=torch.Generator().manual_seed(7))
        for _ in range(2)
    ]  # fmt: skip
    assert torch.equal(*runs)


def test_chord_interval_table_on_pitched_rows_only() -> None:
    net = _net()
    hidden = torch.randn(4, TINY.d_row)
    c_major, g_major = chord_id(0, "maj"), chord_id(7, "maj")
    chords = torch.tensor([c_major, c_major, g_major, 0])
    programs = torch.tensor([0, DRUM_PROGRAM, 0, 0])
    before = net.logits(hidden, chords, programs)[0]
    with torch.no_grad():
        net.harmony[QUALITIES.index("maj"), 4] += 5.0  # the major third
    after = net.logits(hidden, chords, programs)[0]
    raised = (after - before).abs() > 1e-4
    e4, b4 = PITCH_OFFSET + 64, PITCH_OFFSET + 71
    assert raised[0, :, e4].all() and raised[0, :, e4 + 12].all()
    assert raised[0].any(0).sum() == 11  # every E from E-1 to E9
    assert raised[2, :, b4].all() and not raised[2, :, e4].any()
    assert not raised[1].any() and not raised[3].any()  # drums; no chord given


def test_tone_prior_moves_pitches_not_note_density() -> None:
    """A harmonic prior that all but forbids every pitch class but C and G: the pitched rows'
    new notes are Cs and Gs, the drum row's keys are as without it, and the number of notes
    written stays near what it is without the prior (the prior is renormalised over pitches)."""
    cells, ctx = _batch(2)
    target = torch.zeros(cells.shape[:3], dtype=torch.bool)
    target[:, :, [0, 2, 5]] = True  # piano, drums, piano
    given = cells.masked_fill(target[..., None, None], MASK)
    tones = torch.full((1, TINY.width, 12), -30.0)
    tones[..., [0, 7]] = 0.0
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    plain = sample(_net(), given, target, ctx, steps=4, generator=gen())
    leaned = sample(_net(), given, target, ctx, steps=4, tones=tones, generator=gen())
    notes = lambda out, row: out[0, :, row, :, 0][out[0, :, row, :, 0] >= PITCH_OFFSET]  # noqa: E731
    for row in (0, 5):
        pcs = (notes(leaned, row) - PITCH_OFFSET) % 12
        assert len(pcs) and torch.isin(pcs, torch.tensor([0, 7])).all()
        assert not torch.isin((notes(plain, row) - PITCH_OFFSET) % 12, torch.tensor([0, 7])).all()
    count = lambda out: sum(len(notes(out, r)) for r in (0, 5))  # noqa: E731
    assert abs(count(leaned) - count(plain)) <= 0.35 * count(plain)
    assert (
        len(notes(leaned, 2)) > 0
        and not torch.isin((notes(leaned, 2) - PITCH_OFFSET) % 12, torch.tensor([0, 7])).all()
    )


def test_role_priors_keep_drums_on_percussion_notes_and_a_bass_low() -> None:
    """With the role priors, the drum row plays only GM percussion notes and the bass row
    (program 33) lies mostly in 28-55; without them, the random network writes neither."""
    cells, ctx = _batch(4)
    target = torch.zeros(cells.shape[:3], dtype=torch.bool)
    target[:, :, [1, 2]] = True  # bass, drums
    given = cells.masked_fill(target[..., None, None], MASK)
    gen = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    kept = sample(_net(), given, target, ctx, steps=4, generator=gen())
    raw = sample(_net(), given, target, ctx, steps=4, role_priors=False, generator=gen())
    pitches = lambda out, row: (  # noqa: E731
        out[0, :, row, :, 0][out[0, :, row, :, 0] >= PITCH_OFFSET] - PITCH_OFFSET
    ).tolist()
    kit = set(DRUM_NAMES)
    assert pitches(kept, 2) and set(pitches(kept, 2)) <= kit
    assert not set(pitches(raw, 2)) <= kit
    low = lambda ps: np.mean([28 <= p <= 55 for p in ps])  # noqa: E731
    assert low(pitches(kept, 1)) > 0.8 > low(pitches(raw, 1))
    prior = role_prior(ctx.programs, len(_net().pc_of))[0]
    assert prior[0].eq(0).all() and prior[4].eq(0).all()  # a piano, an absent row
    assert prior[1, PITCH_OFFSET + 40] == 0 and prior[1, PITCH_OFFSET + 67] == -6.0


def test_older_weights_warm_start(tmp_path: Path) -> None:
    net = _net()
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.startswith(NEW):
                p.zero_()
    folder = save(net, tmp_path / "old", {"name": "old"})
    weights = load_file(str(folder / "model.safetensors"))
    save_file(
        {k: v for k, v in weights.items() if not k.startswith(NEW)},
        str(folder / "model.safetensors"),
    )
    with pytest.raises(RuntimeError):
        load(folder)
    warm = load(folder, strict=False)
    cells, ctx = _batch()
    target = torch.zeros(cells.shape[:3], dtype=torch.bool)
    target[:, :, 0] = True
    flags = torch.zeros(target.shape, dtype=torch.long)
    mine, _ = net.to(torch.bfloat16).float().predict(cells, flags, ctx, target)
    theirs, _ = warm.predict(cells, flags, ctx, target)
    for a, b in zip(mine, theirs, strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_row_roles() -> None:
    pitch = np.zeros((3, 16, 8), np.int64)
    pitch[0, ::4, 0] = PITCH_OFFSET + 72  # a melody line around C5
    pitch[1, ::2, :3] = PITCH_OFFSET + np.array([48, 52, 55])  # C3 triads
    roles = row_roles(pitch)
    assert roles[2] == 0
    assert roles[0] == 1 + (72 - 24) // 6 * 4 + 0
    assert roles[1] == 1 + (52 - 24) // 6 * 4 + 3
    assert set(roles) <= set(ROLES)

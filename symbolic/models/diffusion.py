"""Absorbing-state discrete diffusion over the grid (`symbolic.tokenize.grid`), GETMusic-style.

The network reads one window of columns (16ths). A cell's embedding is the sum of its K
slots' pitch, duration and velocity embeddings (each slot with its own table), the row's GM
program and role (register and texture, `symbolic.tokenize.grid.row_roles`) and the cell's
flag (condition / target / no track); a row-wise layer (the same for
every row) first lets each cell see its own track along time. A column's input is the
concatenation of its rows, projected to `d_model`, plus its chord, bar position and absolute
position; a bidirectional transformer mixes the columns; each row then takes its share back,
adds it to its own cells, reads it along time once more, and writes each cell as K slots of
(pitch, duration, velocity) logits.

Harmony is built in rather than left to be learned 128 pitches at a time: each cell also
reads the chroma of its notes (one pitch-class embedding, shared by all slots), a pitch logit
is the sum of a full-pitch, a pitch-class and an octave term, and pitched rows add a learned
table indexed by the column's chord quality and the pitch's interval above its root. A
chord head reads each column's state: with no chord row given, training asks the network
which chord it hears in the other tracks (an auxiliary loss; sampling does not use it yet, as
after 3,800 steps it names chords worse than the template estimate). These parts and the role
embedding start at zero, so older weights load unchanged (`load(strict=False)`).

Diffusion is absorbing ("mask"): a target cell is either known or fully masked (all slots,
all fields = MASK). Training masks a random share of the target cells and scores them;
sampling starts from all target cells masked and reveals the most confident ones step by
step (MaskGIT order), with optional classifier-free guidance on the condition tracks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from symbolic.theory.gm import DRUM_NAMES, PART_RANGES, family
from symbolic.tokenize.grid import (
    CHORD_OFFSET,
    DRUM_PROGRAM,
    EMPTY,
    MASK,
    PAD_PROGRAM,
    PITCH_OFFSET,
    QUALITIES,
    ROLES,
    GridTokenizer,
    spec,
)

CONDITION, TARGET, ABSENT = 0, 1, 2  # cell flags
# Confidence noise of the sampler at the first step: MaskGIT's choice temperature (4.5) is for
# one token; a cell's confidence sums K slots, and rests fill sparse grids below about 20.
NOISE = 25.0
RANGE_PENALTY = 0.5  # nats per semitone a note lies outside its part's range (a soft prior)


@dataclass
class DiffusionConfig:
    """Network shape; vocabulary sizes come from the grid spec."""

    rows: int = 8
    slots: int = 8
    width: int = 128
    d_model: int = 256
    n_layers: int = 4
    n_heads: int = 4
    d_ff: int = 1024
    d_row: int = 128
    row_layers: int = 1
    bar_size: int = 64
    dropout: float = 0.0

    @property
    def sizes(self) -> tuple[int, int, int]:
        """Pitch, duration and velocity vocabulary sizes."""
        return tuple(int(spec()[k]["size"]) for k in ("pitch", "duration", "velocity"))


@dataclass
class Context:
    """What the network reads besides the cells and their flags: each row's GM program id
    (128 drums, 129 no track) and role id (register x texture, 0 not given), both (B, R),
    and each column's chord id, position in its bar and padding flag, all (B, C)."""

    programs: torch.Tensor
    roles: torch.Tensor
    chords: torch.Tensor
    bars: torch.Tensor
    pad: torch.Tensor


class GridDenoiser(nn.Module):
    """Cells (B, C, R, K, 3) + flags (B, C, R) + their `Context` → a state per row-cell
    (B, C, R, d_row) and per column (B, C, d_model); `logits` reads cells from the first,
    `chord_head` chords from the second."""

    def __init__(self, cfg: DiffusionConfig) -> None:
        super().__init__()
        self.cfg = cfg
        k, e, d = cfg.slots, cfg.d_row, cfg.d_model
        # one bag of K x 3 ids per cell: slot k of field f has its own range of rows
        offsets = torch.tensor([0, *cfg.sizes[:-1]]).cumsum(0) * k
        base = offsets[None, :] + torch.arange(k)[:, None] * torch.tensor(cfg.sizes)[None, :]
        self.register_buffer("base", base, persistent=False)  # (K, 3)
        self.cell = nn.EmbeddingBag(k * sum(cfg.sizes), e, mode="sum")
        self.program = nn.Embedding(PAD_PROGRAM + 1, e)
        self.role = nn.Embedding(len(ROLES), e)
        self.flag = nn.Embedding(3, e)
        self.row_pos = nn.Embedding(cfg.width, e)
        self.row_bar = nn.Embedding(cfg.bar_size, e)
        self.row_in, self.row_out = (
            nn.TransformerEncoder(
                nn.TransformerEncoderLayer(
                    e, 4, 2 * e, cfg.dropout, "gelu", batch_first=True, norm_first=True
                ),
                cfg.row_layers,
                enable_nested_tensor=False,
            )
            for _ in range(2)
        )
        self.inp = nn.Linear(cfg.rows * e, d)
        self.chord = nn.Embedding(int(spec()["chord"]["size"]), d)
        self.bar = nn.Embedding(cfg.bar_size, d)
        self.pos = nn.Embedding(cfg.width, d)
        layer = nn.TransformerEncoderLayer(
            d, cfg.n_heads, cfg.d_ff, cfg.dropout, "gelu", batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, cfg.rows * e)
        self.row_norm = nn.LayerNorm(e)
        self.heads = nn.ModuleList(nn.Linear(e, k * n) for n in cfg.sizes)
        ids = torch.arange(cfg.sizes[0]) - PITCH_OFFSET
        pitched = ids >= 0
        # pitch id → pitch class and octave; 12 / 11 stand for "not a pitch" (empty, mask)
        self.register_buffer("pc_of", torch.where(pitched, ids % 12, 12), persistent=False)
        self.register_buffer("octave_of", torch.where(pitched, ids // 12, 11), persistent=False)
        self.chroma = nn.EmbeddingBag(13, e, mode="sum", padding_idx=12)
        self.pitch_class = nn.Linear(e, k * 12)
        self.octave = nn.Linear(e, k * 11)
        self.harmony = nn.Parameter(torch.zeros(len(QUALITIES), 12))
        self.chord_head = nn.Linear(d, int(spec()["chord"]["size"]))
        for layer in (self.chroma, self.pitch_class, self.octave, self.chord_head, self.role):
            for w in layer.parameters():
                nn.init.zeros_(w)

    def forward(
        self, cells: torch.Tensor, flags: torch.Tensor, ctx: Context
    ) -> tuple[torch.Tensor, torch.Tensor]:
        b, c, r, k, _ = cells.shape
        programs, chords, pad = ctx.programs, ctx.chords, ctx.pad
        bars = ctx.bars.clamp(max=self.cfg.bar_size - 1)
        time = torch.arange(c, device=cells.device)
        x = self.cell((cells + self.base).reshape(b * c * r, -1)).reshape(b, c, r, -1)
        pcs = self.pc_of[cells[..., 0]].masked_fill(
            (programs == DRUM_PROGRAM)[:, None, :, None], 12
        )
        x = x + self.chroma(pcs.reshape(b * c * r, k)).reshape(b, c, r, -1)
        x = x + (self.program(programs) + self.role(ctx.roles))[:, None] + self.flag(flags)
        x = x + (self.row_pos(time) + self.row_bar(bars))[:, :, None]
        x = _along_rows(self.row_in, x, pad, programs != PAD_PROGRAM)
        h = self.inp(x.reshape(b, c, -1)) + self.chord(chords) + self.bar(bars) + self.pos(time)
        columns = self.norm(self.blocks(h, src_key_padding_mask=_mask(pad)))
        h = self.out(columns).reshape(b, c, r, -1) + x
        rows = self.row_norm(_along_rows(self.row_out, h, pad, (flags == TARGET).any(1)))
        return rows, columns

    def logits(
        self, hidden: torch.Tensor, chords: torch.Tensor, programs: torch.Tensor
    ) -> list[torch.Tensor]:
        """Row-cell states (N, d_row) with their column's chord and row's program (N,) →
        pitch, duration, velocity logits (N, K, size)."""
        k = self.cfg.slots
        pitch, *rest = (
            head(hidden).unflatten(-1, (k, n))
            for head, n in zip(self.heads, self.cfg.sizes, strict=True)
        )
        none = hidden.new_zeros(hidden.shape[0], k, 1)
        pc = torch.cat([self.pitch_class(hidden).unflatten(-1, (k, 12)), none], -1)
        octave = torch.cat([self.octave(hidden).unflatten(-1, (k, 11)), none], -1)
        pitch = pitch + pc[..., self.pc_of] + octave[..., self.octave_of]
        is_chord = (chords >= CHORD_OFFSET) & (programs != DRUM_PROGRAM)
        root, quality = (
            torch.div((chords - CHORD_OFFSET).clamp(min=0), len(QUALITIES), rounding_mode="floor"),
            (chords - CHORD_OFFSET).clamp(min=0) % len(QUALITIES),
        )
        interval = (self.pc_of[None] - root[:, None]) % 12  # (N, pitch ids)
        bias = self.harmony[quality[:, None], interval]
        bias = bias.masked_fill((self.pc_of == 12)[None] | ~is_chord[:, None], 0.0)
        return [pitch + bias[:, None], *rest]

    def predict(
        self, cells: torch.Tensor, flags: torch.Tensor, ctx: Context, where: torch.Tensor
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """One pass: logits of the cells `where` (B, C, R), (N, K, size) per field, and of
        every column's chord (B, C, chord ids), which is what the network hears in the other
        tracks when the chord row is not given."""
        b, c, r = where.shape
        hidden, columns = self(cells, flags, ctx)
        fields = self.logits(
            hidden[where],
            ctx.chords[:, :, None].expand(b, c, r)[where],
            ctx.programs[:, None].expand(b, c, r)[where],
        )
        return fields, self.chord_head(columns)


def _mask(pad: torch.Tensor) -> torch.Tensor | None:
    """The padding mask, or None when nothing is padded (attention then skips the mask)."""
    return pad if bool(pad.any()) else None


def _along_rows(layers: nn.Module, x: torch.Tensor, pad: torch.Tensor, use: torch.Tensor):
    """The rows `use` (B, R) of x (B, C, R, E) read along time by the same layers (row-wise
    attention); other rows pass through unchanged (and are skipped when no batch item uses
    them: absent rows on the way in, rows with nothing to write on the way out)."""
    rows = use.any(0)
    sub = x[:, :, rows]
    b, c, r, e = sub.shape
    if r == 0:
        return x
    seq = layers(
        sub.transpose(1, 2).reshape(b * r, c, e),
        src_key_padding_mask=_mask(pad.repeat_interleave(r, 0)),
    )
    out = x.clone()
    out[:, :, rows] = torch.where(
        use[:, None, rows, None], seq.reshape(b, r, c, e).transpose(1, 2), sub
    )
    return out


def cell_nll(logits: list[torch.Tensor], cells: torch.Tensor) -> torch.Tensor:
    """(B, C, R) negative log-likelihood of each cell: all slots, all three fields."""
    return sum(
        F.cross_entropy(lg.flatten(0, -2), cells[..., i].flatten(), reduction="none")
        .reshape(cells.shape[:-1])
        .sum(-1)
        for i, lg in enumerate(logits)
    )


# ---------------------------------------------------------------- sampling


_LAST = 10_000  # sort key of an empty slot


@cache
def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX); elsewhere
    bfloat16 is emulated and slower than float32."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in info or " amx_bf16" in info


def _gumbel(shape: torch.Size, gen: torch.Generator) -> torch.Tensor:
    u = torch.rand(shape, generator=gen).clamp(1e-9, 1 - 1e-9)
    return -torch.log(-torch.log(u))


def _pick(logits: torch.Tensor, allowed: torch.Tensor, temp: float, gen) -> torch.Tensor:
    """Gumbel-max sample (argmax at temperature 0) over the allowed ids."""
    logits = logits.masked_fill(~allowed, -math.inf)
    if temp > 0:
        logits = logits / temp + _gumbel(logits.shape, gen)
    return logits.argmax(-1)


def canonical(cells: torch.Tensor) -> torch.Tensor:
    """Slots sorted by pitch with empty slots last, repeated pitches emptied (..., K, 3)."""
    key = torch.where(cells[..., 0] >= PITCH_OFFSET, cells[..., 0], _LAST)
    for _ in range(2):  # sort, empty the repeats, sort again
        order = key.argsort(dim=-1, stable=True)
        cells = cells.gather(-2, order[..., None].expand_as(cells))
        key = key.gather(-1, order)
        key[..., 1:] = key[..., 1:].masked_fill(key[..., 1:] == key[..., :-1], _LAST)
    return cells.masked_fill((key == _LAST)[..., None], EMPTY)


@cache
def _slot_masks() -> tuple[torch.Tensor, ...]:
    """The grid grammar's masks for a sampled slot: its pitch, a note's duration and velocity."""
    grammar = GridTokenizer().grammar()
    names = ("pitch", "duration", "velocity")
    return tuple(torch.from_numpy(grammar.field_mask(n)) for n in names)


def _draw(logits: list[torch.Tensor], temp: float, gen) -> tuple[torch.Tensor, torch.Tensor]:
    """Cells (…, K, 3) sampled from logits, and each cell's confidence (log-prob of its
    pitches), each row of logits masked by the grid grammar (`GridGrammar.field_mask`).
    Duration and velocity are empty exactly where the pitch is."""
    lp_pitch = logits[0].log_softmax(-1)
    pitch_ok, *note_ok = _slot_masks()
    pitch = _pick(lp_pitch, pitch_ok, temp, gen)
    sounding = (pitch >= PITCH_OFFSET)[..., None]
    out = [pitch]
    for lg, ok in zip(logits[1:], note_ok, strict=True):
        out.append(torch.where(sounding[..., 0], _pick(lg, ok & sounding, temp, gen), EMPTY))
    conf = lp_pitch.gather(-1, pitch[..., None])[..., 0].sum(-1)
    return canonical(torch.stack(out, -1)), conf


def _lean(pitch: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Pitch logits (..., ids) with `bias` added to the pitch ids and renormalised among them:
    which pitch changes, how likely a note is at all (against a rest) does not."""
    is_pitch = torch.arange(pitch.shape[-1]) >= PITCH_OFFSET
    leaned = pitch + bias
    shift = leaned[..., is_pitch].logsumexp(-1) - pitch[..., is_pitch].logsumexp(-1)
    return torch.where(is_pitch, leaned - shift[..., None], pitch)


def role_prior(programs: torch.Tensor, n_ids: int) -> torch.Tensor:
    """(B, R, pitch ids) added to the pitch logits by each row's role: a drum row plays only
    the GM percussion notes (-inf elsewhere), a row of a family with a `PART_RANGES` range
    (a bass) loses `RANGE_PENALTY` per semitone a pitch lies outside it; 0 for other ids."""
    pitch = torch.arange(n_ids) - PITCH_OFFSET
    table = torch.zeros(PAD_PROGRAM + 1, n_ids)
    drum_ok = torch.tensor([int(p) in DRUM_NAMES for p in pitch.tolist()]) | (pitch < 0)
    table[DRUM_PROGRAM] = torch.where(drum_ok, 0.0, -math.inf)
    for program in range(DRUM_PROGRAM):
        if (bounds := PART_RANGES.get(family(program))) is not None:
            below, above = (bounds[0] - pitch).clamp(min=0), (pitch - bounds[1]).clamp(min=0)
            table[program] = -RANGE_PENALTY * (below + above).float() * (pitch >= 0)
    return table[programs]


def cell_flags(programs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(B, C, R) flags: target cells, condition cells, and rows with no track."""
    flags = torch.where(target, TARGET, CONDITION)
    return torch.where((programs == PAD_PROGRAM)[:, None], ABSENT, flags)


@torch.no_grad()
def sample(
    net: GridDenoiser,
    cells: torch.Tensor,
    target: torch.Tensor,
    ctx: Context,
    *,
    steps: int = 32,
    temperature: float = 1.0,
    guidance: float = 0.0,
    noise: float = NOISE,
    tones: torch.Tensor | None = None,
    role_priors: bool = True,
    bf16: bool | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Fill the masked cells of `target` (B, C, R) in `steps` steps; other cells stay as given.

    Each step predicts every masked cell, samples it, and keeps the most confident share
    (an equal share of what is left per remaining step). Confidence is the log-probability
    of the sampled pitches plus Gumbel noise scaled by `noise`, fading to none by the last
    step: pure confidence order fills sparse grids with rests (a rest is always the safest
    cell), pure random order ignores what the model is sure of. `guidance` > 0 mixes in the
    prediction without the condition tracks (classifier-free guidance: rows with no target
    cell are dropped, as in training's track dropout, and the chords are left out).
    `tones` (B, C, 12), when given, is added to the pitch logits of pitched rows by pitch
    class: a harmonic prior per column, such as the log-probability that a pitch class
    belongs to the chord there when the chord itself is uncertain. `role_priors` adds
    `role_prior` (drum rows on percussion notes, a bass in its range). `bf16` runs the network's
    matrix products in bfloat16 (twice as fast where the CPU does them natively, the default
    there: `native_bf16`); sampling itself stays in float32.
    """
    gen = generator or torch.Generator().manual_seed(0)
    flags = cell_flags(ctx.programs, target)
    masked = target & (cells[..., 0] == MASK).all(-1)
    cells = cells.clone()
    low = native_bf16() if bf16 is None else bf16

    def predict(*args) -> list[torch.Tensor]:
        with torch.autocast("cpu", torch.bfloat16, enabled=low):
            fields, _ = net.predict(*args)
        return [f.float() for f in fields]

    n_ids = len(net.pc_of)
    pitch_bias = torch.zeros(1, 1, 1, n_ids)  # (B, C, R, pitch ids)
    if tones is not None:  # 0 on drum rows and for non-pitch ids
        pitched = (ctx.programs != DRUM_PROGRAM)[:, None, :, None]
        by_id = torch.cat([tones, torch.zeros_like(tones[..., :1])], -1)[..., net.pc_of]
        pitch_bias = pitch_bias + (by_id[:, :, None] * pitched).float()
    if role_priors:
        pitch_bias = pitch_bias + role_prior(ctx.programs, n_ids)[:, None]
    lean = tones is not None or role_priors
    if guidance > 0:
        free = ~target.any(1) | (ctx.programs == PAD_PROGRAM)  # (B, R) rows to drop
        u_ctx = replace(
            ctx,
            programs=ctx.programs.masked_fill(free, PAD_PROGRAM),
            roles=ctx.roles.masked_fill(free, 0),
            chords=torch.zeros_like(ctx.chords),
        )
        u_flags = flags.masked_fill(free[:, None], ABSENT)
        both_ctx = Context(
            *(torch.cat([getattr(ctx, f.name), getattr(u_ctx, f.name)]) for f in fields(Context))
        )
    for step in range(steps):
        left = masked.flatten(1).sum(1)
        if int(left.max()) == 0:
            break
        if guidance > 0:  # both predictions in one batch: half the passes' overhead
            u_cells = cells.masked_fill(free[:, None, :, None, None], EMPTY)
            both = predict(
                torch.cat([cells, u_cells]),
                torch.cat([flags, u_flags]),
                both_ctx,
                torch.cat([masked, masked]),
            )
            logits = [
                (1 + guidance) * a.log_softmax(-1) - guidance * u.log_softmax(-1)
                for a, u in (lg.chunk(2) for lg in both)
            ]
        else:
            logits = predict(cells, flags, ctx, masked)
        if lean:
            logits[0] = _lean(logits[0], pitch_bias.expand(*masked.shape, -1)[masked][:, None])
        drawn, conf = _draw(logits, temperature, gen)
        take = torch.ceil(left / (steps - step)).long()  # (B,)
        if noise > 0:  # MaskGIT: Gumbel noise on the confidence, annealed to none
            conf = conf + noise * (1 - step / steps) * _gumbel(conf.shape, gen)
        full = torch.full(masked.shape, -math.inf).masked_scatter(masked, conf)
        rank = full.flatten(1).argsort(dim=1, descending=True, stable=True).argsort(1)
        reveal = (rank < take[:, None]).reshape(masked.shape) & masked
        cells[reveal] = drawn[reveal[masked]]
        masked = masked & ~reveal
    return cells


@torch.no_grad()
def stepwise_nll(
    net: GridDenoiser,
    cells: torch.Tensor,
    target: torch.Tensor,
    ctx: Context,
    *,
    steps: int,
    generator: torch.Generator,
) -> tuple[float, int]:
    """Summed NLL (nats) of the true target cells under `steps`-step decoding in a random
    order, and the number of cells: the exact likelihood of the sampler that reveals an equal
    random share per step, each share predicted independently given the cells before it."""
    flags = cell_flags(ctx.programs, target)
    order = torch.rand(target.shape, generator=generator).masked_fill(~target, 2.0)
    rank = order.flatten(1).argsort(1).argsort(1).reshape(target.shape)
    count = target.flatten(1).sum(1)  # (B,)
    stage = torch.div(rank * steps, count.clamp(min=1)[:, None, None], rounding_mode="floor")
    total = 0.0
    for step in range(steps):
        hidden = target & (stage >= step)
        now = target & (stage == step)
        if not now.any():
            continue
        inp = cells.masked_fill(hidden[..., None, None], MASK)
        logits, _ = net.predict(inp, flags, ctx, now)
        total += float(cell_nll(logits, cells[now]).sum())
    return total, int(count.sum())


# ---------------------------------------------------------------- shipped folder


def save(net: GridDenoiser, folder: str | Path, card: dict) -> Path:
    """Write config.json, bf16 model.safetensors, card.json and README.md."""
    from symbolic.models.checkpoint import save_net

    return save_net(net, folder, card, "symgen-grid-diffusion")


def load(folder: str | Path, *, strict: bool = True) -> GridDenoiser:
    """A shipped or trained denoiser folder → the network in float32, eval mode. With
    `strict=False` weights of an older network warm-start a newer one: parameters the folder
    lacks keep their initial values."""
    from symbolic.models.checkpoint import load_net

    return load_net(folder, lambda c: GridDenoiser(DiffusionConfig(**c)), strict=strict)

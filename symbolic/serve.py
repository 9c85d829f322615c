"""`symgen serve`: the studio, a local web page over the same task functions as the command
line (text → music, infill, lyrics → melody), with piano rolls, audio and downloads.

FastAPI serves one self-contained page (`static/studio.html`: no CDN, no web fonts, so it
works with the network unplugged) and a small JSON API. A request becomes a `Job` with its own
temporary folder, run by a bounded pool of worker threads (memory stays bounded however many
requests arrive; the rest wait in the queue); the page polls the job for its stage and
progress. Errors are the command line's one-line messages. Old jobs' folders are removed once
more than `KEEP_JOBS` have finished, and all of them when the server stops.
"""

from __future__ import annotations

import dataclasses
import itertools
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from symbolic.errors import SymgenError
from symbolic.tasks.common import PROGRESS

STATIC = Path(__file__).with_name("static")
MAX_UPLOAD = 8 * 2**20  # bytes: a long multitrack MIDI is well under 1 MB
KEEP_JOBS = 64
UPLOAD_SUFFIXES = (".mid", ".midi", ".abc", ".xml", ".musicxml", ".mxl")


@dataclasses.dataclass
class Job:
    """One request: its folder, where it stands, and the files it made (name → file)."""

    id: str
    kind: str
    folder: Path
    state: str = "new"  # new, queued, running, done, error
    stage: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    notes: list[str] = dataclasses.field(default_factory=list)
    files: dict[str, Path] = dataclasses.field(default_factory=dict)
    info: dict = dataclasses.field(default_factory=dict)
    created: float = dataclasses.field(default_factory=time.monotonic)

    def public(self, position: int) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "queued_ahead": position,
            "message": self.message,
            "notes": self.notes,
            "files": {name: f"/api/jobs/{self.id}/{name}" for name in self.files},
            "info": self.info,
            "seconds": round(time.monotonic() - self.created, 1),
        }


Runner = Callable[[Job], None]


class Studio:
    """The jobs and the worker threads that run them."""

    def __init__(self, workers: int = 1) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="symgen-studio-"))
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="symgen-job")
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self._ids = itertools.count(1)

    def new(self, kind: str) -> Job:
        """A job with its folder, not started yet (an upload goes into its folder first)."""
        with self.lock:
            job_id = f"{next(self._ids)}-{int(time.time() * 1000) % 100000}"
            job = Job(job_id, kind, self.root / job_id, state="new")
            job.folder.mkdir()
            self.jobs[job_id] = job
            self._trim()
        return job

    def start(self, job: Job, run: Runner) -> dict:
        """Queue `job` to run `run(job)`; returns its status."""
        job.state = "queued"
        self.pool.submit(self._run, job, run)
        return self.status(job.id)

    def forget(self, job: Job) -> None:
        with self.lock:
            self.jobs.pop(job.id, None)
        shutil.rmtree(job.folder, ignore_errors=True)

    def status(self, job_id: str) -> dict | None:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                return None
            ahead = sum(
                1 for j in self.jobs.values() if j.state == "queued" and j.created < job.created
            )
            return job.public(ahead if job.state == "queued" else 0)

    def file(self, job_id: str, name: str) -> Path | None:
        job = self.jobs.get(job_id)
        return job.files.get(name) if job is not None else None

    def _run(self, job: Job, run: Runner) -> None:
        job.state, job.stage = "running", "starting"

        def progress(desc: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = desc, done, total

        token = PROGRESS.set(progress)
        try:
            run(job)
            job.state, job.stage = "done", "done"
        except SymgenError as err:
            job.state, job.message = "error", f"symgen {job.kind}: {_plain(err, job.folder)}"
        except Exception as err:  # a bug: one line, as on the command line
            what = str(err).splitlines()[0][:120] if str(err).strip() else "no message"
            job.state = "error"
            job.message = (
                f"symgen {job.kind}: unexpected {type(err).__name__} ({what}); this is a bug: "
                "run the same on the command line with --debug and report it"
            )
        finally:
            PROGRESS.reset(token)

    def _trim(self) -> None:
        finished = [j for j in self.jobs.values() if j.state in ("done", "error")]
        for job in finished[: max(len(finished) - KEEP_JOBS, 0)]:
            shutil.rmtree(job.folder, ignore_errors=True)
            del self.jobs[job.id]

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.root, ignore_errors=True)


def _plain(err: Exception, folder: Path) -> str:
    """The message without the server's own folders: the user sees the name they uploaded."""
    text = str(err)
    for inside in (folder / "upload", folder):
        text = text.replace(f"{inside}/", "").replace(str(inside), "")
    return text


# ---------------------------------------------------------------------------------------------
# The three panes' jobs: the task functions of the command line, then pictures and audio.
# ---------------------------------------------------------------------------------------------


def _listen(job: Job, midi: Path, name: str) -> None:
    """Render `midi` to `name`.wav for the page's audio player; without FluidSynth, say so."""
    from symbolic.render import render_file

    job.stage = "rendering audio"
    try:
        job.files[name] = Path(render_file(midi, job.folder / f"{name}.wav")["wav"])
    except SymgenError as err:
        job.notes.append(f"no audio: {err}")


def text2midi_job(prompt: str, bars: int | None, seed: int) -> Runner:
    def run(job: Job) -> None:
        from symbolic.tasks.requests import Text2MidiRequest
        from symbolic.tasks.text2midi import text2midi

        midi = job.folder / "music.mid"
        result = text2midi(Text2MidiRequest(prompt, out=midi, bars=bars, seed=seed, png=True))
        job.files.update(midi=midi, roll=Path(result["png"][0]))
        job.notes += result["notes"]
        job.info = {"seed": seed, "attributes": result["attributes"]}
        _listen(job, midi, "audio")

    return run


def infill_job(upload: Path, tracks: str, bars: str, add: str, chords: str, seed: int) -> Runner:
    def run(job: Job) -> None:
        from symbolic.plot import plot_file
        from symbolic.tasks.infill import infill
        from symbolic.tasks.requests import InfillRequest

        job.files["before_roll"] = plot_file(upload, job.folder / "before.png")
        out = job.folder / "infilled.mid"
        request = InfillRequest(
            upload, tracks or None, bars=bars or None, add=add or None, chords=chords or None,
            out=out, seed=seed, png=True,
        )  # fmt: skip
        result = infill(request)
        job.files.update(midi=out, roll=Path(result["png"][0]))
        job.notes += result["notes"]
        job.info = {"seed": seed, "chords": result.get("chords")}
        _listen(job, upload, "before_audio")
        _listen(job, out, "audio")

    return run


def lyric_job(lyrics: str, key: str, meter: str, tempo: float, voice: str, seed: int) -> Runner:
    def run(job: Job) -> None:
        from symbolic.tasks.lyric2melody import lyric2melody
        from symbolic.tasks.requests import LyricRequest

        midi, abc = job.folder / "melody.mid", job.folder / "melody.abc"
        request = LyricRequest(
            lyrics, key=key, meter=meter, tempo=tempo, voice=voice, out=midi, abc=abc, seed=seed,
            png=True,
        )  # fmt: skip
        result = lyric2melody(request)
        job.files.update(midi=midi, abc=abc, roll=Path(result["outputs"]["png"]))
        job.info = {k: result[k] for k in ("key", "meter", "tempo", "voice", "range")}
        _listen(job, midi, "audio")

    return run


def tracks_of(upload: Path) -> list[dict]:
    """The tracks of an uploaded file, as `symgen info` lists them."""
    from symbolic.score import describe, load

    return describe(load(upload))["tracks"]


# ---------------------------------------------------------------------------------------------
# The web app.
# ---------------------------------------------------------------------------------------------


def create_app(studio: Studio):
    """The FastAPI app of `studio`: the page, the job API and the file downloads."""
    app = FastAPI(title="symgen studio", docs_url=None, redoc_url=None, openapi_url=None)

    def refuse(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def bad_form(_request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", [])[1:]) or "the form"
        return refuse(f"symgen serve: {field}: {first.get('msg', 'invalid value').lower()}")

    @app.exception_handler(SymgenError)
    async def symgen_error(_request: Request, err: SymgenError) -> JSONResponse:
        return refuse(f"symgen serve: {err}")

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return (STATIC / "studio.html").read_text(encoding="utf-8")

    async def save_upload(upload: UploadFile, folder: Path) -> Path:
        name = Path(upload.filename or "upload.mid").name
        name = "".join(c if c.isalnum() or c in "-_. " else "_" for c in name).strip(". ")
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise SymgenError(f"{name}: not a music file; upload a .mid, .abc or .musicxml file")
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise SymgenError(
                f"{name}: larger than {MAX_UPLOAD // 2**20} MB; upload a smaller file"
            )
        if not data:
            raise SymgenError(f"{name}: the file is empty; upload a MIDI, ABC or MusicXML file")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(data)
        return path

    @app.post("/api/text2midi")
    def post_text2midi(
        prompt: Annotated[str, Form(max_length=2000)],
        bars: Annotated[int | None, Form(ge=1, le=64)] = None,
        seed: Annotated[int, Form(ge=0)] = 0,
    ) -> dict:
        if not prompt.strip():
            raise SymgenError("the prompt is empty; describe the music, e.g. jazz in C minor")
        return studio.start(studio.new("text2midi"), text2midi_job(prompt, bars, seed))

    @app.post("/api/tracks")
    async def post_tracks(file: Annotated[UploadFile, File()]) -> dict:
        with tempfile.TemporaryDirectory(dir=studio.root) as tmp:
            upload = await save_upload(file, Path(tmp))
            try:
                return {"tracks": tracks_of(upload)}
            except SymgenError as err:
                raise SymgenError(_plain(err, Path(tmp))) from None

    @app.post("/api/infill")
    async def post_infill(
        file: Annotated[UploadFile, File()],
        tracks: Annotated[str, Form()] = "",
        bars: Annotated[str, Form()] = "",
        add: Annotated[str, Form()] = "",
        chords: Annotated[str, Form()] = "",
        seed: Annotated[int, Form(ge=0)] = 0,
    ) -> dict:
        if not tracks.strip() and not add.strip():
            raise SymgenError("pick tracks to rewrite or instruments to add")
        job = studio.new("infill")
        try:
            upload = await save_upload(file, job.folder / "upload")
        except SymgenError:
            studio.forget(job)
            raise
        return studio.start(job, infill_job(upload, tracks, bars, add, chords, seed))

    @app.post("/api/lyric2melody")
    def post_lyrics(
        lyrics: Annotated[str, Form(max_length=20000)],
        key: Annotated[str, Form()] = "C",
        meter: Annotated[str, Form()] = "4/4",
        tempo: Annotated[float, Form(ge=20, le=300)] = 96,
        voice: Annotated[str, Form(pattern="^(soprano|alto|tenor|bass|middle)$")] = "middle",
        seed: Annotated[int, Form(ge=0)] = 0,
    ) -> dict:
        if not lyrics.strip():
            raise SymgenError("the lyrics are empty; type a line or two")
        run = lyric_job(lyrics, key, meter, tempo, voice, seed)
        return studio.start(studio.new("lyric2melody"), run)

    @app.get("/api/jobs/{job_id}")
    def get_job(job_id: str):
        status = studio.status(job_id)
        return status if status is not None else refuse("symgen serve: no such job", 404)

    @app.get("/api/jobs/{job_id}/{name}")
    def get_file(job_id: str, name: str):
        path = studio.file(job_id, name)
        if path is None or not path.exists():
            return refuse("symgen serve: no such file", 404)
        return FileResponse(path, filename=path.name)

    return app


def serve(host: str = "127.0.0.1", port: int = 7860, workers: int = 1) -> None:
    """Run the studio until interrupted."""
    import uvicorn

    studio = Studio(workers)
    print(f"symgen studio on http://{host}:{port} (Ctrl-C stops it)", flush=True)
    try:
        uvicorn.run(create_app(studio), host=host, port=port, log_level="warning")
    finally:
        studio.close()

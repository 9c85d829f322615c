"""`symgen serve`: the studio's API (jobs, files, one-line errors, upload limits) and its page in
a real browser (Playwright driving Debian's chromium, with every request off this machine
refused)."""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest
from test_plot import band

from symbolic.score import load, save_midi

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from symbolic import serve  # noqa: E402


@pytest.fixture(scope="module")
def studio():
    s = serve.Studio(workers=1)
    yield s
    s.close()


@pytest.fixture(scope="module")
def client(studio):
    return TestClient(serve.create_app(studio))


def wait(client, job: dict, timeout: float = 300) -> dict:
    deadline = time.time() + timeout
    while job["state"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.2)
        job = client.get(f"/api/jobs/{job['id']}").json()
    return job


def test_text2midi_job_makes_a_midi_a_piano_roll_and_audio(client, studio, tmp_path):
    res = client.post("/api/text2midi", data={"prompt": "a folk tune in D", "bars": 2, "seed": 3})
    assert res.status_code == 200
    job = wait(client, res.json())
    assert job["state"] == "done", job
    assert {"midi", "roll"} <= set(job["files"])
    midi = tmp_path / "got.mid"
    midi.write_bytes(client.get(job["files"]["midi"]).content)
    assert load(midi).note_num() > 0
    png = client.get(job["files"]["roll"])
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    if shutil.which("fluidsynth"):
        audio = client.get(job["files"]["audio"]).content
        assert audio[:4] == b"RIFF"
    folder = studio.root / job["id"]
    assert folder.is_dir() and (folder / "music.mid").exists()


def test_jobs_have_their_own_folders_and_same_seed_same_bytes(client):
    jobs = [client.post("/api/text2midi", data={"prompt": "jazz in C minor", "bars": 2,
                                                 "seed": s}).json() for s in (5, 5, 6)]  # fmt: skip
    done = [wait(client, j) for j in jobs]
    assert len({j["id"] for j in done}) == 3 and all(j["state"] == "done" for j in done)
    data = [client.get(j["files"]["midi"]).content for j in done]
    assert data[0] == data[1] != data[2]


@pytest.mark.parametrize(
    "url, form, message",
    [
        ("/api/text2midi", {"prompt": "  "}, "the prompt is empty"),
        ("/api/text2midi", {"prompt": "rock", "bars": 999}, "bars: input should be less"),
        ("/api/text2midi", {"prompt": "rock", "bars": "x"}, "bars:"),
        ("/api/lyric2melody", {"lyrics": ""}, "lyrics"),
        ("/api/lyric2melody", {"lyrics": "la la", "tempo": 5}, "tempo"),
    ],
)
def test_bad_forms_get_one_line(client, url, form, message):
    res = client.post(url, data=form)
    assert res.status_code == 400
    error = res.json()["error"]
    assert error.startswith("symgen serve: ") and message in error and "\n" not in error


def test_uploads_are_checked(client, monkeypatch, tmp_path):
    song = save_midi(band(4), tmp_path / "song.mid")
    res = client.post("/api/tracks", files={"file": ("song.mid", song.read_bytes())})
    tracks = res.json()["tracks"]
    assert [t["instrument"] for t in tracks] == ["Acoustic Grand Piano",
                                                 "Electric Bass (finger)", "Drums"]  # fmt: skip
    bad = client.post("/api/tracks", files={"file": ("notes.txt", b"hello")}).json()["error"]
    assert "not a music file" in bad
    broken = client.post("/api/tracks", files={"file": ("broken.mid", b"MThd junk")}).json()
    assert broken["error"].startswith("symgen serve: broken.mid: not a readable MIDI file")
    assert "symgen-studio" not in broken["error"]  # the server's folders stay private
    monkeypatch.setattr(serve, "MAX_UPLOAD", 100)
    big = client.post("/api/tracks", files={"file": ("song.mid", song.read_bytes())}).json()
    assert "larger than" in big["error"]


def test_infill_job_changes_the_picked_track_and_keeps_the_others(client, tmp_path):
    song = save_midi(band(4), tmp_path / "song.mid")
    files = {"file": ("song.mid", song.read_bytes())}
    job = wait(client, client.post("/api/infill", files=files, data={"tracks": "1"}).json())
    assert job["state"] == "done", job
    assert {"midi", "roll", "before_roll"} <= set(job["files"])
    out = tmp_path / "out.mid"
    out.write_bytes(client.get(job["files"]["midi"]).content)
    before, after = load(song), load(out)
    assert after.tracks[0].notes.numpy()["pitch"].tolist() == (
        before.tracks[0].notes.numpy()["pitch"].tolist()
    )
    assert after.tracks[1].notes.numpy()["pitch"].tolist() != (
        before.tracks[1].notes.numpy()["pitch"].tolist()
    )
    refused = client.post("/api/infill", files=files, data={}).json()
    assert "pick tracks to rewrite" in refused["error"]


def test_a_failing_job_says_why_in_one_line(client):
    job = client.post("/api/lyric2melody", data={"lyrics": "la la la", "meter": "5/0"}).json()
    job = wait(client, job)
    assert job["state"] == "error"
    assert job["message"].startswith("symgen lyric2melody: ") and "\n" not in job["message"]


def test_lyric_job_writes_midi_and_abc(client, tmp_path):
    lyrics = "Row row row your boat\ngently down the stream"
    form = {"lyrics": lyrics, "meter": "3/4", "voice": "tenor"}
    job = client.post("/api/lyric2melody", data=form).json()
    job = wait(client, job)
    assert job["state"] == "done", job
    assert "K:" in client.get(job["files"]["abc"]).text
    midi = tmp_path / "m.mid"
    midi.write_bytes(client.get(job["files"]["midi"]).content)
    assert len(load(midi).tracks[0].lyrics) >= 10
    assert job["info"]["voice"] == "tenor" and job["info"]["range"][0] >= 48


def test_old_jobs_are_removed(monkeypatch):
    s = serve.Studio()
    monkeypatch.setattr(serve, "KEEP_JOBS", 2)
    try:
        jobs = []
        for _ in range(5):
            job = s.new("text2midi")
            job.state = "done"
            jobs.append(job)
        s.new("text2midi")
        assert [j.id for j in jobs if j.id in s.jobs] == [jobs[-2].id, jobs[-1].id]
        assert not jobs[0].folder.exists() and jobs[-1].folder.exists()
    finally:
        s.close()
    assert not s.root.exists()


# ---------------------------------------------------------------------------------------------
# In a real browser.
# ---------------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def server():
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    studio = serve.Studio()
    config = uvicorn.Config(serve.create_app(studio), host="127.0.0.1", port=port,
                            log_level="warning")  # fmt: skip
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not runner.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    runner.should_exit = True
    thread.join(10)
    studio.close()


@pytest.fixture(scope="module")
def page(server):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make install installs it when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox"])  # fmt: skip
        context = browser.new_context(accept_downloads=True)
        outside: list[str] = []

        def only_here(route):
            if route.request.url.startswith(server):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_here)
        page = context.new_page()
        page.goto(server)
        yield page
        assert outside == [], f"the page asked for files off this machine: {outside}"
        browser.close()


def test_browser_text_to_music(page, tmp_path):
    page.fill("#t2m-prompt", "a folk tune in G major")
    page.fill("#t2m-bars", "2")
    page.click("#t2m-go")
    page.wait_for_function(
        "document.getElementById('t2m-roll').complete && "
        "document.getElementById('t2m-roll').naturalWidth >= 800",
        timeout=240_000,
    )
    assert page.text_content("#t2m-status").startswith("Done")
    if shutil.which("fluidsynth"):
        assert "/audio" in page.get_attribute("#t2m-audio", "src")
    with page.expect_download() as download:
        page.click("#t2m-midi")
    saved = tmp_path / "from-browser.mid"
    download.value.save_as(saved)
    assert load(saved).note_num() > 0


def test_browser_infill_changes_a_track_and_a_bad_upload_says_so(page, tmp_path):
    page.click("nav button[data-pane=infill]")
    song = save_midi(band(4), tmp_path / "song.mid")
    page.set_input_files("#inf-file", str(song))
    page.wait_for_selector(".inf-track")
    assert page.locator(".inf-track").count() == 3
    page.locator(".inf-track").nth(1).check()
    page.click("#inf-go")
    page.wait_for_function(
        "document.getElementById('inf-after').complete && "
        "document.getElementById('inf-after').naturalWidth >= 800 && "
        "document.getElementById('inf-before').naturalWidth >= 800",
        timeout=240_000,
    )
    with page.expect_download() as download:
        page.click("#inf-midi")
    out = tmp_path / "infilled.mid"
    download.value.save_as(out)
    got, before = load(out), load(song)
    assert got.tracks[1].notes.numpy()["pitch"].tolist() != (
        before.tracks[1].notes.numpy()["pitch"].tolist()
    )
    bad = tmp_path / "broken.mid"
    bad.write_bytes(b"MThd this is not MIDI")
    page.set_input_files("#inf-file", str(bad))
    page.wait_for_selector("#inf-status.error")
    message = page.text_content("#inf-status")
    assert message.startswith("symgen serve: broken.mid: not a readable MIDI file")

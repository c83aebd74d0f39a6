"""Shared fixtures: real event files, real TensorBoard apps and processes."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import hypothesis
import pytest
from tensorboard.backend import application
from tensorboard.backend.event_processing import data_provider as mux_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.data import server_ingester
from tensorboard.plugins import base_plugin
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import grpc_util

from tb_plugin import plugin, summary

# Property tests check behaviour, not speed: a loaded CI machine must not fail them.
hypothesis.settings.register_profile("rungroups", deadline=None, print_blob=True)
hypothesis.settings.load_profile("rungroups")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(REPO, "demo", "train.py")

sys.path.insert(0, os.path.join(REPO, "demo"))
from browser_flags import CHROMIUM_ARGS  # noqa: E402  (shared with demo/ and bench/)

# --- writing event files ---------------------------------------------------------


def write_events(logdir: str, events: list[event_pb2.Event]) -> None:
    """Writes events into `logdir` with TensorBoard's own EventFileWriter."""
    writer = EventFileWriter(logdir)
    for event in events:
        writer.add_event(event)
    writer.close()


def scalar_event(tag: str, step: int, value: float, wall_time: float | None = None):
    summ = summary_pb2.Summary()
    summ.value.add(tag=tag, simple_value=value)
    return event_pb2.Event(wall_time=wall_time or time.time(), step=step, summary=summ)


def metadata_event(data: dict[str, Any], step: int = 0, wall_time: float | None = None):
    return event_pb2.Event(
        wall_time=wall_time or time.time(), step=step, summary=summary.run_metadata_pb(data)
    )


def write_scalars(logdir: str, tag: str, values: list[float], start_step: int = 0) -> None:
    write_events(logdir, [scalar_event(tag, start_step + i, v) for i, v in enumerate(values)])


# --- a real TensorBoardWSGI app over the Python loader -----------------------------


def make_wsgi_app(logdir: str, loader: str = "python", **flags: Any):
    """Builds TensorBoard's real WSGI app with only our plugin.

    `loader="python"` reads with the event multiplexer (`--load_fast=false`);
    `loader="rust"` starts the real data server (`--load_fast=true`) and reads
    over gRPC. The Rust server loads in the background: poll for your runs.
    """
    if loader == "python":
        multiplexer = plugin_event_multiplexer.EventMultiplexer()
        multiplexer.AddRunsFromDirectory(logdir)
        multiplexer.Reload()
        provider = mux_provider.MultiplexerDataProvider(multiplexer, logdir)
    else:
        ingester = server_ingester.SubprocessServerDataIngester(
            server_ingester.get_server_binary(),
            logdir,
            reload_interval=1,
            channel_creds_type=grpc_util.ChannelCredsType.LOCAL,
        )
        ingester.start()
        provider = ingester.data_provider
    context = base_plugin.TBContext(
        logdir=logdir,
        data_provider=provider,
        flags=SimpleNamespace(logdir=logdir, **flags),
    )
    rungroups = plugin.RunGroupsLoader().load(context)
    return application.TensorBoardWSGI([rungroups], data_provider=provider)


# --- real tensorboard processes ----------------------------------------------------


class TensorBoardProcess:
    """A real `tensorboard` serving a log directory on a free local port."""

    def __init__(self, logdir: str, load_fast: bool, extra_args: list[str] = (), python=None):
        self.logdir = logdir
        self.log_path = os.path.join(
            os.path.dirname(logdir.rstrip("/")) or ".", f"tensorboard-{os.getpid()}-{id(self)}.log"
        )
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in close()
        python = python or sys.executable
        script = os.path.join(os.path.dirname(python), "tensorboard")
        launcher = (
            [script]
            if os.path.exists(script)
            else [python, "-c", "from tensorboard.main import run_main; run_main()"]
        )
        cmd = [
            *launcher,
            "--logdir",
            logdir,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--reload_interval",
            "1",
            f"--load_fast={'true' if load_fast else 'false'}",
            *extra_args,
        ]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        # Started outside the repo, so an installed package is what gets imported.
        self.proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=os.path.dirname(os.path.abspath(logdir)),
        )
        self.url = self._wait_for_url()

    def _wait_for_url(self, timeout: float = 120) -> str:
        deadline = time.time() + timeout
        pattern = re.compile(rb"(http://127\.0\.0\.1:\d+/)")
        while time.time() < deadline:
            with open(self.log_path, "rb") as f:
                match = pattern.search(f.read())
            if match:
                return match.group(1).decode()
            if self.proc.poll() is not None:
                raise RuntimeError(f"tensorboard exited early:\n{self.output()}")
            time.sleep(0.2)
        raise RuntimeError(f"tensorboard did not start:\n{self.output()}")

    def output(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=60) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def get_json(self, path: str) -> Any:
        status, _, body = self.get(path)
        assert status == 200, (path, status, body[:500])
        return json.loads(body)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 90) -> Any:
        """Polls until `predicate()` is truthy (TensorBoard loads in the background)."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            with contextlib.suppress(AssertionError, KeyError, urllib.error.URLError):
                last = predicate()
                if last:
                    return last
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting; last value {last!r}\n{self.output()[-3000:]}")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@pytest.fixture
def tensorboard_process() -> Iterator[Callable[..., TensorBoardProcess]]:
    started: list[TensorBoardProcess] = []

    def start(logdir, load_fast: bool, extra_args=(), python=None) -> TensorBoardProcess:
        tb = TensorBoardProcess(str(logdir), load_fast, list(extra_args), python)
        started.append(tb)
        return tb

    yield start
    for tb in started:
        tb.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_path() -> str:
    path = shutil.which("chromium")
    if not path:
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium")
    return path


# --- a real browser ----------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    """A fresh page that records dialogs and console errors, screenshotted on failure."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.dialogs = []
    pg.console_errors = []

    def on_dialog(dialog):
        pg.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    yield pg
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        out = os.path.join(REPO, "test-output")
        os.makedirs(out, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        pg.screenshot(path=os.path.join(out, name + ".png"), full_page=True)
    context.close()


def open_run_groups(pg, tb: TensorBoardProcess):
    """Opens TensorBoard's Run Groups tab and returns the tab's frame."""
    pg.goto(tb.url + "#rungroups")
    pg.wait_for_selector("iframe", timeout=60_000)
    frame = pg.frame_locator("iframe")
    frame.locator(".rg-root").wait_for(timeout=60_000)
    return frame


# --- the demo ----------------------------------------------------------------------


def demo_env() -> dict[str, str]:
    # The working tree's tb_plugin, whatever is installed.
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=REPO + (os.pathsep + path if path else ""))


def train_demo(cwd: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, TRAIN, *args],
        cwd=cwd,
        env=demo_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def quick_demo(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """`demo/train.py --quick`, trained once per test session (about 25 s)."""
    cwd = str(tmp_path_factory.mktemp("demo"))
    done = train_demo(cwd, "--quick", "--logdir", "logs")
    assert done.returncode == 0, done.stdout + done.stderr
    logdir = os.path.join(cwd, "logs")
    grid = sorted(
        d for d in glob.glob(os.path.join(logdir, "*", "run_*")) if os.path.isdir(d)
    )  # the grid's <params>/run_<time> directories; other/ holds no run_* at depth 2
    other = {
        "torch": glob.glob(os.path.join(logdir, "other", "runs", "*")),
        "hydra": sorted(glob.glob(os.path.join(logdir, "other", "multirun", "*", "*", "*"))),
        "tutorial": glob.glob(os.path.join(logdir, "other", "fit", "*")),
    }
    return SimpleNamespace(cwd=cwd, logdir=logdir, out=done.stdout, grid=grid, other=other)


def pytest_collection_modifyitems(config, items):
    """Marks tests by what they start, so `-m "not process and not browser"` is the fast set."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "tensorboard_process" in fixtures:
            item.add_marker(pytest.mark.process)
        if fixtures & {"browser", "page"}:
            item.add_marker(pytest.mark.browser)

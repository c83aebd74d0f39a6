"""Issue 28: cross-site attempts at `POST /annotate` from a real browser fail and write nothing.

A real `tensorboard --rungroups_allow_edit` and a second local server (another
origin: another port) serving a hostile page, opened in headless Chromium. The
page tries what a hostile site can: read the tab's token, `fetch` a JSON POST
(with a guessed token), and submit an HTML form (``text/plain``, urlencoded).
Then the tab's own origin does the same write with the token it read, and it
lands: the checks refuse the other origin, not the tab.
"""

from __future__ import annotations

import http.server
import json
import os
import threading

import pytest
from conftest import write_scalars

from tb_plugin import metadata, writer

PREFIX = "data/plugin/rungroups"
RUN = "lr=0.1/run_1"

HOSTILE = """<!doctype html><html><body>
<form id="plain" method="POST" enctype="text/plain" target="sink">
  <input name='{"runs": ["lr=0.1/run_1"], "add_tags": ["csrf-plain"], "x": "' value='"}'>
</form>
<form id="urlencoded" method="POST" target="sink">
  <input name="runs" value="lr=0.1/run_1"><input name="add_tags" value="csrf-form">
</form>
<iframe name="sink"></iframe>
</body></html>"""


@pytest.fixture
def hostile_origin():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = HOSTILE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _state(logdir) -> tuple:
    run_dir = os.path.join(logdir, RUN)
    return (
        sorted(os.listdir(os.path.join(run_dir, metadata.ANNOTATIONS_DIR))),
        writer.read_run_metadata(run_dir),
    )


@pytest.mark.slow
def test_a_page_on_another_origin_cannot_write_and_the_tab_can(
    tmp_path, tensorboard_process, hostile_origin, page
):
    logdir = tmp_path / "logs"
    for split in ("train", "validation"):
        write_scalars(str(logdir / RUN / split), "epoch_loss", [1.0, 0.5])
    writer.annotate_run(logdir / RUN, tags=["grid"])
    tb = tensorboard_process(logdir, False, ["--rungroups_allow_edit"])
    tb.wait_for(lambda: RUN in {r["run"] for r in tb.get_json(f"{PREFIX}/runs")["runs"]})
    annotate = tb.url + f"{PREFIX}/annotate"
    before = _state(logdir)

    page.goto(hostile_origin)
    # 1. Reading the token from another origin: CORS blocks the answer.
    read = page.evaluate(
        """async (url) => {
            try { const r = await fetch(url); return "read: " + (await r.text()); }
            catch (e) { return "blocked: " + e.name; }
        }""",
        tb.url + f"{PREFIX}/edit",
    )
    assert read.startswith("blocked"), read
    # 2. A JSON fetch with a guessed token: the preflight is never granted.
    sent = page.evaluate(
        """async (url) => {
            try {
                const r = await fetch(url, {method: "POST",
                    headers: {"Content-Type": "application/json", "X-Rungroups-Token": "guess"},
                    body: JSON.stringify({runs: ["lr=0.1/run_1"], add_tags: ["csrf-fetch"]})});
                return "status " + r.status;
            } catch (e) { return "blocked: " + e.name; }
        }""",
        annotate,
    )
    assert sent.startswith("blocked"), sent
    # 3. A "simple" no-cors POST (text/plain): it reaches the server, which says 403.
    page.evaluate(
        """async (url) => {
            await fetch(url, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"},
                body: JSON.stringify({runs: ["lr=0.1/run_1"], add_tags: ["csrf-nocors"]})});
        }""",
        annotate,
    )
    # 4. HTML forms, text/plain and urlencoded, submitted to TensorBoard.
    for form in ("plain", "urlencoded"):
        with page.expect_response(annotate) as answer:
            page.evaluate(
                "([id, url]) => { const f = document.getElementById(id); f.action = url; f.submit(); }",
                [form, annotate],
            )
        assert answer.value.status == 403, form
    assert _state(logdir) == before

    # The tab's own origin: reads the token, writes, and the write is there.
    page.goto(tb.url)
    result = page.evaluate(
        """async ([edit, url]) => {
            const {token} = await (await fetch(edit)).json();
            const r = await fetch(url, {method: "POST",
                headers: {"Content-Type": "application/json", "X-Rungroups-Token": token},
                body: JSON.stringify({runs: ["lr=0.1/run_1"], add_tags: ["from the tab"]})});
            return [r.status, await r.text()];
        }""",
        [f"{PREFIX}/edit", f"{PREFIX}/annotate"],
    )
    assert result[0] == 200, result
    assert json.loads(result[1])["runs"][RUN]["tags"] == ["grid", "from the tab"]
    tags = _state(logdir)[1]["tags"]
    assert tags == ["grid", "from the tab"]

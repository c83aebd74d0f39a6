"""Issue 28: `POST /annotate`, editing from the tab, off unless `--rungroups_allow_edit`.

The real TensorBoard WSGI app (Python loader) and real `tensorboard` processes
(both loaders): only a JSON POST with the tab's token and the server's own
Origin writes; everything else is 403 and writes nothing. Writes merge with a
concurrent `tb-rungroups annotate`, and an answer's `undo` reverses them.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request

import pytest
from conftest import REPO, make_wsgi_app, write_scalars
from werkzeug import test as werkzeug_test

from tb_plugin import metadata, writer

PREFIX = "/data/plugin/rungroups"
RUNS = ("lr=0.1,seed=1/run_1", "lr=0.1,seed=2/run_1", "lr=0.3,seed=1/run_1")
HOST = "localhost:6006"
ORIGIN = "http://localhost:6006"


def _logdir(tmp_path) -> str:
    logs = tmp_path / "logs"
    for run in RUNS:
        for split in ("train", "validation"):
            write_scalars(str(logs / run / split), "epoch_loss", [1.0, 0.5])
        writer.annotate_run(logs / run, tags=["grid"], status="running")
    return str(logs)


def _client(logdir: str, allow_edit: bool) -> werkzeug_test.Client:
    app = make_wsgi_app(logdir, "python", rungroups_allow_edit=allow_edit, host=None)
    return werkzeug_test.Client(app)


def _token(client) -> str | None:
    got = client.get(f"{PREFIX}/edit", headers={"Host": HOST})
    assert got.status_code == 200
    assert got.headers["Cache-Control"] == "no-store"
    return got.get_json()["token"]


def _post(client, body, *, token=None, origin=ORIGIN, host=HOST, content_type="application/json"):
    headers = {"Host": host}
    if origin is not None:
        headers["Origin"] = origin
    if token is not None:
        headers["X-Rungroups-Token"] = token
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(f"{PREFIX}/annotate", data=data, headers=headers, content_type=content_type)


def _snapshot(logdir: str) -> dict[str, tuple]:
    """Every annotations directory's files and the runs' metadata: what a write changes."""
    out = {}
    for run in RUNS:
        directory = os.path.join(logdir, run, metadata.ANNOTATIONS_DIR)
        out[run] = (
            sorted(os.listdir(directory)),
            writer.read_run_metadata(os.path.join(logdir, run)),
        )
    return out


def _served(client, run: str) -> dict:
    """What /metadata serves now (a write makes the next request list the runs again)."""
    got = client.get(f"{PREFIX}/metadata", query_string={"run": run}, headers={"Host": HOST})
    assert got.status_code == 200, got.data
    return json.loads(got.data)


@pytest.fixture
def edit(tmp_path):
    logdir = _logdir(tmp_path)
    client = _client(logdir, allow_edit=True)
    client.logdir = logdir
    return client


# --- the flag ----------------------------------------------------------------------------


def test_with_the_flag_off_the_tab_gets_no_token_and_every_post_is_403(tmp_path):
    logdir = _logdir(tmp_path)
    off = _client(logdir, allow_edit=False)
    assert off.get(f"{PREFIX}/edit", headers={"Host": HOST}).get_json() == {
        "allowed": False,
        "token": None,
    }
    # Even with the token of a server that allows editing, nothing is written.
    token = _token(_client(logdir, allow_edit=True))
    before = _snapshot(logdir)
    got = _post(off, {"runs": [RUNS[0]], "add_tags": ["x"]}, token=token)
    assert got.status_code == 403
    assert "--rungroups_allow_edit" in got.get_data(as_text=True)
    assert _snapshot(logdir) == before


# --- cross-site attempts -----------------------------------------------------------------

_BODY = {"runs": [RUNS[0]], "add_tags": ["x"], "note": "n"}


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("no token", {"token": None}),
        ("wrong token", {"token": "not-the-token"}),
        ("form post (text/plain)", {"content_type": "text/plain"}),
        ("form post (urlencoded)", {"content_type": "application/x-www-form-urlencoded"}),
        ("form post (multipart)", {"content_type": "multipart/form-data; boundary=x"}),
        ("wrong Origin", {"origin": "http://evil.example"}),
        ("Origin of another port", {"origin": "http://localhost:6007"}),
        ("null Origin", {"origin": "null"}),
        ("missing Origin", {"origin": None}),
        ("DNS rebinding host", {"host": "evil.example:6006", "origin": "http://evil.example:6006"}),
    ],
)
def test_cross_site_attempts_are_403_and_write_nothing(edit, case, kwargs):
    token = _token(edit)
    kwargs = {"token": token, **kwargs}
    before = _snapshot(edit.logdir)
    got = _post(edit, _BODY, **kwargs)
    assert got.status_code == 403, (case, got.data)
    assert _snapshot(edit.logdir) == before, case


def test_a_get_never_writes(edit):
    token = _token(edit)
    before = _snapshot(edit.logdir)
    got = edit.get(
        f"{PREFIX}/annotate",
        query_string={"runs": RUNS[0], "add_tags": "x"},
        headers={"Host": HOST, "Origin": ORIGIN, "X-Rungroups-Token": token},
    )
    assert got.status_code == 403
    assert _snapshot(edit.logdir) == before


def test_a_rebinding_host_gets_no_token(edit):
    got = edit.get(f"{PREFIX}/edit", headers={"Host": "evil.example:6006"}).get_json()
    assert got == {"allowed": False, "token": None}


# --- writes ------------------------------------------------------------------------------


def test_a_write_merges_and_is_served(edit):
    token = _token(edit)
    got = _post(
        edit,
        {"runs": list(RUNS[:2]), "add_tags": ["best", "<img src=x onerror=alert(1)>"]},
        token=token,
    )
    assert got.status_code == 200, got.data
    answer = json.loads(got.data)
    for run in RUNS[:2]:
        want = {"tags": ["grid", "best", "<img src=x onerror=alert(1)>"], "status": "running"}
        assert answer["runs"][run] == want
        assert writer.read_run_metadata(os.path.join(edit.logdir, run)) == want
        assert _served(edit, run) == want
    assert writer.read_run_metadata(os.path.join(edit.logdir, RUNS[2]))["tags"] == ["grid"]
    got = _post(edit, {"runs": [RUNS[0]], "note": "looked good", "status": "finished"}, token=token)
    assert got.status_code == 200, got.data
    assert _served(edit, RUNS[0])["notes"] == "looked good"
    assert _served(edit, RUNS[0])["status"] == "finished"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        (b" " * ((1 << 20) + 10), "over 1048576 bytes"),
        ({"runs": [RUNS[0]]}, "nothing to change"),
        ({"runs": [], "add_tags": ["x"]}, "at least one run"),
        ({"runs": RUNS[0], "add_tags": ["x"]}, "'runs' must be a list"),
        ({"runs": [RUNS[0]], "add_tags": [""]}, "non-empty"),
        ({"runs": [RUNS[0]], "add_tags": ["  "]}, "non-empty"),
        ({"runs": [RUNS[0]], "status": "great"}, "'status' must be one of"),
        ({"runs": [RUNS[0]], "note": 3}, "'note' must be a string"),
        ({"runs": [RUNS[0]], "tags": ["x"]}, "unknown key 'tags'"),
        ([1, 2], "a change must be a JSON object"),
    ],
)
def test_bad_bodies_are_400_and_write_nothing(edit, body, message):
    token = _token(edit)
    before = _snapshot(edit.logdir)
    got = _post(edit, body, token=token)
    assert got.status_code == 400, got.data
    assert message in got.get_data(as_text=True)
    assert _snapshot(edit.logdir) == before


def _hostile_value(rng: random.Random, depth: int = 0):
    """A JSON value a hostile or broken client might send where `/annotate` wants another."""
    kinds = ["str", "html", "int", "float", "bool", "none", "long"]
    if depth < 3:
        kinds += ["list", "dict", "deep"]
    kind = rng.choice(kinds)
    if kind == "str":
        return rng.choice(["", " ", "x", "../..", "\u202e\x00", "a" * 300, RUNS[0], "finished"])
    if kind == "html":
        return "<img src=x onerror=alert(1)>"
    if kind == "int":
        return rng.choice([0, -1, 2**63, 10**30])
    if kind == "float":
        return rng.choice([0.5, 1e308, -0.0])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "long":
        return ["t"] * rng.choice([1, 10_000])
    if kind == "list":
        return [_hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "deep":  # spliced in as text by _hostile_body (json.dumps would recurse)
        return f"@deep{rng.choice([50, 5_000])}@"
    return {rng.choice(["runs", "add_tags", "x"]): _hostile_value(rng, depth + 1)}


def _hostile_body(rng: random.Random) -> bytes:
    texts = ["<img src=x onerror=alert(1)>", "\u202e\x00", "a" * 300, "../..", "=cmd|' /C calc'!A0"]
    plausible = {  # well-typed values with hostile text, so writes are tried too
        "add_tags": lambda: rng.sample(texts, rng.randint(1, 3)),
        "remove_tags": lambda: [rng.choice(texts + ["grid"])],
        "note": lambda: rng.choice(texts),
        "status": lambda: rng.choice(["finished", "failed", "Finished"]),
    }
    keys = list(plausible) + (["runs", "undo", "tags", "__proto__"] if rng.random() < 0.3 else [])
    body = {}
    for k in rng.sample(keys, rng.randint(0, min(4, len(keys)))):
        body[k] = plausible[k]() if k in plausible and rng.random() < 0.5 else _hostile_value(rng)
    if rng.random() < 0.8:  # mostly a valid run list, so the other keys are what is tested
        body["runs"] = [rng.choice(RUNS)]
    text = re.sub(
        r'"@deep(\d+)@"', lambda m: "[" * int(m[1]) + '"x"' + "]" * int(m[1]), json.dumps(body)
    )
    if rng.random() < 0.1:
        text = text[: rng.randint(0, len(text))]  # cut short
    return text.encode()


def test_200_hostile_bodies_answer_4xx_or_a_merge_never_5xx(edit):
    """Random bodies (wrong types, huge and deep values, cut JSON): each is one clear 4xx
    that writes nothing, or a change that `/metadata` then serves, and never a 5xx."""
    token = _token(edit)
    rng = random.Random(28)
    answered = set()
    for _ in range(200):
        body = _hostile_body(rng)
        before = _snapshot(edit.logdir)
        got = _post(edit, body, token=token)
        answered.add(got.status_code)
        assert got.status_code in (200, 400, 404, 413), (got.status_code, body[:200])
        if got.status_code != 200:
            assert got.get_data(as_text=True).strip(), body[:200]
            assert _snapshot(edit.logdir) == before, body[:200]
        else:
            runs = json.loads(got.data)["runs"]
            assert runs and all(_served(edit, run) == runs[run] for run in runs)
    assert {200, 400} <= answered, answered


@pytest.mark.parametrize(
    "run", ["no/such/run", "../outside", "lr=0.1,seed=1/run_1/.rungroups", "/etc"]
)
def test_unknown_runs_are_404_and_write_nothing(edit, run):
    token = _token(edit)
    before = _snapshot(edit.logdir)
    got = _post(edit, {"runs": [RUNS[0], run], "add_tags": ["x"]}, token=token)
    assert got.status_code == 404, got.data
    assert _snapshot(edit.logdir) == before
    assert not os.path.exists(os.path.join(os.path.dirname(edit.logdir), "outside"))


def test_a_directory_above_listed_runs_can_be_annotated(tmp_path):
    logs = tmp_path / "logs"
    write_scalars(str(logs / "fresh" / "train"), "epoch_loss", [1.0])
    client = _client(str(logs), allow_edit=True)
    got = _post(client, {"runs": ["fresh"], "add_tags": ["first"]}, token=_token(client))
    assert got.status_code == 200, got.data
    assert writer.read_run_metadata(str(logs / "fresh")) == {"tags": ["first"]}
    assert _served(client, "fresh") == {"tags": ["first"]}


def test_undo_reverses_the_last_change_and_nothing_else(edit):
    token = _token(edit)
    writer.annotate_run(os.path.join(edit.logdir, RUNS[1]), tags=["best"])
    before = {run: writer.read_run_metadata(os.path.join(edit.logdir, run)) for run in RUNS}
    got = _post(
        edit,
        {
            "runs": list(RUNS),
            "add_tags": ["best"],
            "remove_tags": ["grid"],
            "note": "group note",
            "status": "failed",
        },
        token=token,
    )
    assert got.status_code == 200, got.data
    undo = json.loads(got.data)["undo"]
    # RUNS[1] had "best" before: its undo keeps it.
    by_run = {c["runs"][0]: c for c in undo["changes"]}
    assert by_run[RUNS[1]].get("remove_tags") is None
    assert by_run[RUNS[0]]["remove_tags"] == ["best"]
    assert by_run[RUNS[0]]["add_tags"] == ["grid"]
    assert by_run[RUNS[0]]["status"] == "running"
    # Meanwhile another writer tags a run: the undo leaves that alone.
    writer.annotate_run(os.path.join(edit.logdir, RUNS[2]), tags=["other"], note="kept")
    got = _post(edit, undo, token=token)
    assert got.status_code == 200, got.data
    for run in RUNS:
        now = writer.read_run_metadata(os.path.join(edit.logdir, run))
        want = dict(before[run])
        if run == RUNS[2]:
            want = {**want, "tags": [*want["tags"], "other"], "notes": "kept"}
        assert sorted(now["tags"]) == sorted(want["tags"]), run
        assert now.get("notes") == want.get("notes"), run
        assert now["status"] == want["status"], run


_ANNOTATOR = textwrap.dedent(
    """
    import sys
    from tb_plugin import cli
    run, n = sys.argv[1], int(sys.argv[2])
    for i in range(n):
        assert cli.main(["annotate", run, "--tag", f"cli{i}", "--note", f"cli note {i}"]) == 0
    """
)


def test_a_concurrent_cli_annotate_loses_nothing(edit):
    token = _token(edit)
    run = RUNS[0]
    path = os.environ.get("PYTHONPATH")
    env = dict(os.environ, PYTHONPATH=REPO + (os.pathsep + path if path else ""))
    proc = subprocess.Popen(
        [sys.executable, "-c", _ANNOTATOR, os.path.join(edit.logdir, run), "15"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    for i in range(15):
        got = _post(
            edit, {"runs": [run], "add_tags": [f"tab{i}"], "note": f"tab note {i}"}, token=token
        )
        assert got.status_code == 200, got.data
    assert proc.wait(timeout=300) == 0
    got = writer.read_run_metadata(os.path.join(edit.logdir, run))
    want_tags = {"grid"} | {f"cli{i}" for i in range(15)} | {f"tab{i}" for i in range(15)}
    assert set(got["tags"]) == want_tags
    notes = set(got["notes"].split("\n"))
    assert notes == {f"cli note {i}" for i in range(15)} | {f"tab note {i}" for i in range(15)}
    assert _served(edit, run) == got


# --- a real tensorboard process, both loaders ---------------------------------------------


def _http(url: str, body: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.mark.slow
@pytest.mark.parametrize("load_fast", [False, True])
def test_a_real_tensorboard_writes_only_with_the_flag(tmp_path, tensorboard_process, load_fast):
    logdir = _logdir(tmp_path)
    on = tensorboard_process(logdir, load_fast, ["--rungroups_allow_edit"])
    off = tensorboard_process(logdir, load_fast)
    body = json.dumps({"runs": [RUNS[0]], "add_tags": ["from the tab"]}).encode()
    origin_of = {tb: tb.url.rstrip("/") for tb in (on, off)}
    on.wait_for(lambda: len(on.get_json(f"{PREFIX}/runs")["runs"]) >= len(RUNS))
    token = on.get_json(f"{PREFIX}/edit")["token"]
    assert token and off.get_json(f"{PREFIX}/edit") == {"allowed": False, "token": None}
    headers = {"Content-Type": "application/json", "X-Rungroups-Token": token}
    status, answer = _http(
        off.url + f"{PREFIX[1:]}/annotate", body, {**headers, "Origin": origin_of[off]}
    )
    assert status == 403
    assert "from the tab" not in writer.read_run_metadata(os.path.join(logdir, RUNS[0]))["tags"]
    status, answer = _http(
        on.url + f"{PREFIX[1:]}/annotate", body, {**headers, "Origin": "http://evil.example"}
    )
    assert status == 403
    status, answer = _http(
        on.url + f"{PREFIX[1:]}/annotate", body, {**headers, "Origin": origin_of[on]}
    )
    assert status == 200, answer
    assert json.loads(answer)["runs"][RUNS[0]]["tags"] == ["grid", "from the tab"]

    # At once, though the warming thread's listing is seconds old: a write expires it.
    got = on.get_json(f"{PREFIX}/metadata?run={urllib.request.quote(RUNS[0])}")
    assert got["tags"] == ["grid", "from the tab"]
    # TensorBoard's own run list holds only the runs with event files.
    runs = on.get_json("data/runs")
    assert sorted(runs) == sorted(f"{r}/{s}" for r in RUNS for s in ("train", "validation"))

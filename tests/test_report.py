"""The report (`tb_plugin.report`, `tb-rungroups report`, `/report`) and its bundler.

The bundler runs on every module of the front end and on a table of module forms, whose
bundles run under node; the report's file is checked for its CSP hashes, its data block
(the routes' own answers, escaped so no text ends the element), the CLI and the route
giving the same bytes but for the date line, and its groups cap.
"""

from __future__ import annotations

import base64
import datetime
import glob
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import make_wsgi_app, metadata_event, scalar_event, write_events
from werkzeug import test as werkzeug_test

from tb_plugin import bundle, cli, report

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRONTEND = os.path.join(REPO, "frontend")
MODULES = sorted(
    os.path.relpath(p, FRONTEND).replace(os.sep, "/")
    for p in glob.glob(os.path.join(FRONTEND, "**", "*.js"), recursive=True)
    if "/tests/" not in p.replace(os.sep, "/")
)

HOSTILE_RUN = "</script><script>alert(1)</script><!--"
HOSTILE_TEXT = "<img src=x onerror=alert(2)> & \u2028 \u2029 ]]>"


def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.fail("node is not installed (the bundler's bundles are run under node)")
    return path


def run_module(text: str, tmp_path) -> str:
    path = tmp_path / "bundle.mjs"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [node(), str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- the bundler ---------------------------------------------------------------------------


@pytest.mark.parametrize("module", MODULES)
def test_every_front_end_module_bundles_into_a_module_node_accepts(module, tmp_path):
    text = bundle.bundle(FRONTEND, module)
    path = tmp_path / "b.mjs"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [node(), "--check", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


def test_report_entry_bundle_holds_its_imports_once_in_dependency_order():
    text = bundle.bundle(FRONTEND, report.ENTRY)
    order = re.findall(r"^// --- (\S+)$", text, re.M)
    assert order[-1] == report.ENTRY
    assert len(order) == len(set(order))
    assert "vendor/uplot/uPlot.esm.js" in order
    for path in order:
        with open(os.path.join(FRONTEND, path), encoding="utf-8") as f:
            imports = bundle.parse_module(f.read(), path).imports
        for imp in imports:
            source = os.path.normpath(os.path.join(os.path.dirname(path), imp.source))
            assert order.index(source.replace(os.sep, "/")) < order.index(path)


FORMS = {
    "a.js": """
        // import { no } from "./nowhere.js";  (a comment: left alone)
        export const A = "import { x } from './y.js'";
        export function f(x) { return x / 2 / 1; }
        export async function g() { return `t ${A.length} ${`n${1}`}`; }
        export class C { m() { return /[/]export/.test("/export"); } }
        let hidden = 3;
        export { hidden as shown, hidden };
        export default function named() { return "default fn"; }
    """,
    "b.js": """
        const v = { import: 1, export: 2 };
        export default v.import + v.export;
        export let L = [1, 2].map((x) => x * 2);
    """,
    "sub/c.js": """
        import named, { A, f as half, C, shown } from "../a.js";
        import * as a from "../a.js";
        import three from "../b.js";
        import "../side.js";
        export const out = [A.length, half(8), new C().m(), shown, named(), three, a.hidden,
          Object.keys(a).sort().join(), import.meta.url.length > 0, globalThis.side];
    """,
    "side.js": "globalThis.side = (globalThis.side || 0) + 1;",
    "main.js": """
        import { out } from "./sub/c.js";
        import { g } from "./a.js";
        import { L } from "./b.js";
        g().then((t) => console.log(JSON.stringify([...out, t, L])));
    """,
}


def test_bundled_forms_keep_their_meaning(tmp_path):
    src = tmp_path / "src"
    for name, text in FORMS.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text, encoding="utf-8")
    out = json.loads(run_module(bundle.bundle(str(src), "main.js"), tmp_path))
    keys = "A,C,default,f,g,hidden,shown"
    assert out == [26, 4, True, 3, "default fn", 3, 3, keys, True, 1, "t 26 n1", [2, 4]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('const m = import("./x.js");', "dynamic import"),
        ('export * from "./x.js";', "export \\*"),
        ('export { a } from "./x.js";', "re-export"),
        ("export const { a, b } = o;", "pattern"),
        ("export const a = 1, b = 2;", "several names"),
        ("await 1;", "top-level await"),
        ('import x from "lodash";', "bare"),
        ('import x from "/abs.js";', "bare or absolute"),
        ('import x from "../../out.js";', "leaves the front-end"),
        ('import { nope } from "./other.js";', "does not export 'nope'"),
        ('import "./missing.js";', "cannot read module"),
        ('import "./cycle.js";', "import cycle"),
        ('const s = "</script>";', "would end its script"),
        ("const s = `unterminated;", "unterminated template"),
        ("if (a) { b();", "unclosed"),
    ],
)
def test_forms_the_bundler_does_not_understand_fail_loudly(tmp_path, text, message):
    (tmp_path / "main.js").write_text(text, encoding="utf-8")
    (tmp_path / "other.js").write_text("export const yes = 1;", encoding="utf-8")
    (tmp_path / "cycle.js").write_text('import "./main.js";', encoding="utf-8")
    with pytest.raises(bundle.BundleError, match=message):
        bundle.bundle(str(tmp_path), "main.js")


# --- the data block ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [HOSTILE_RUN, HOSTILE_TEXT, "</SCRIPT >", "<!-- <script>", "a\u2028b\u2029c", "&lt;"],
)
def test_embedded_json_cannot_close_its_element_and_reads_back(value):
    from tb_plugin import answers

    text = report.embed_json(answers.encode({"run": value, "list": [value]}))
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"run": value, "list": [value]}


# --- the file ------------------------------------------------------------------------------


def write_logdir(root, groups: int = 3, seeds: int = 3, steps: int = 12) -> None:
    for g in range(groups):
        for seed in range(seeds):
            run = root / f"lr={0.001 * (g + 1):g}" / f"seed_{seed}"
            events = [metadata_event({"notes": HOSTILE_TEXT, "status": "finished"})]
            events += [
                scalar_event("loss", s, 1.0 / (1 + s * (g + 1)) + 0.01 * seed, wall_time=100.0 + s)
                for s in range(steps)
            ]
            write_events(str(run), events)
    hostile = root / HOSTILE_RUN.replace("/", "_")
    write_events(
        str(hostile),
        [metadata_event({"notes": HOSTILE_RUN}), scalar_event("loss", 0, 0.5, wall_time=1.0)],
    )


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("report") / "my-logs"
    write_logdir(root)
    return root


def cli_report(logdir, out, *args: str) -> str:
    code = cli.main(["report", str(logdir), "-o", str(out), *args])
    assert code == 0
    return out.read_text(encoding="utf-8")


def inline(html_text: str, tag: str, attrs: str = "") -> list[str]:
    return re.findall(rf"<{tag}{attrs}>(.*?)</{tag}>", html_text, re.S)


def sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def data_block(text: str) -> dict:
    found = inline(text, "script", f' type="application/json" id="{report.DATA_ID}"')
    assert len(found) == 1
    return json.loads(found[0])


def test_cli_report_has_a_csp_with_exactly_its_inline_script_and_style(logdir, tmp_path):
    text = cli_report(logdir, tmp_path / "r.html")
    csp = html.unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text)[1]
    )
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    scripts = inline(text, "script", ' type="module"')
    styles = inline(text, "style")
    assert len(scripts) == 1 and len(styles) == 1
    assert directives["script-src"] == f"'{sha(scripts[0])}'"
    assert directives["style-src"] == f"'{sha(styles[0])}'"
    assert "unsafe" not in csp
    # Every script element is the module or the data block; nothing is loaded.
    assert len(re.findall(r"<script\b", text)) == 2
    assert not re.search(r"""\b(src|href)\s*=\s*["'](?!#)""", text.split("<script", 1)[0])
    assert "uPlot" in scripts[0] and ".rg-root" in styles[0]


def test_report_data_is_the_routes_answers_for_the_view(logdir, tmp_path):
    args = ["--by", "lr", "--metric", "loss", "--reduction", "min", "--seeds"]
    saved = data_block(cli_report(logdir, tmp_path / "r.html", *args))
    client = werkzeug_test.Client(make_wsgi_app(str(logdir)))
    base = "/data/plugin/rungroups"
    groups = json.loads(client.get(f"{base}/groups?by=lr&metric=loss&reduction=min").data)
    answers = saved["answers"]
    sparklines = answers["groups"].pop("sparklines")
    assert answers["groups"] == groups
    every = "&".join(f"group={g['key']}" for g in groups["groups"])
    rows = client.get(f"{base}/curves?by=lr&metric=loss&max_points=40&sparkline=true&{every}")
    assert sparklines == json.loads(rows.data)
    assert answers["fields"] == json.loads(client.get(f"{base}/fields").data)
    assert answers["tags"] == json.loads(client.get(f"{base}/tags").data)
    keys = answers["chart_keys"]
    assert keys and keys == [g["key"] for g in groups["groups"] if g["size"] > 1][:5]
    query = "&".join(f"group={k}" for k in keys)
    curves = json.loads(
        client.get(f"{base}/curves?by=lr&metric=loss&max_points=500&smoothing=0.6&{query}").data
    )
    # The chart's curves: the route's, with the arrays the chart draws (band minmax).
    drawn = ("x", "mean", "count", "runs", "ci_level", "min", "max")
    for saved_curve, route in zip(answers["curves"]["curves"], curves["curves"], strict=True):
        assert saved_curve["curve"] == {k: v for k, v in route["curve"].items() if k in drawn}
        assert {**saved_curve, "curve": None} == {**route, "curve": None}
    assert {**answers["curves"], "curves": None} == {**curves, "curves": None}
    lines = client.get(
        f"{base}/curves?by=lr&metric=loss&max_points=200&smoothing=0.6&lines=true&{query}"
    )
    assert answers["lines"] == json.loads(lines.data)
    runs = json.loads(client.get(f"{base}/runs").data)
    # Every trial is in a kept group here; run entries leave out their repeated metadata.
    assert answers["runs"]["trials"] == runs["trials"]
    assert answers["runs"]["runs"] == [
        {k: v for k, v in r.items() if k not in ("metadata", "last_event_time")}
        for r in runs["runs"]
    ]
    assert saved["state"]["selected"] == keys and saved["state"]["seeds"] is True
    assert answers["left_out"] == 0 and answers["total_groups"] == len(groups["groups"])


def test_hostile_names_stay_text_in_the_html(logdir, tmp_path):
    text = cli_report(logdir, tmp_path / "r.html", "--filter", HOSTILE_RUN.replace("/", "_"))
    body = text.split('<script type="application/json"', 1)
    assert "<img" not in body[0] and "onerror=alert" not in text.replace("onerror=alert(2)", "")
    assert html.escape(HOSTILE_RUN.replace("/", "_")) in body[0]  # the header's arguments row
    assert text.count("</script>") == 2 and text.lower().count("<script") == 2
    assert "<!--" not in text


def test_route_answers_the_same_bytes_as_the_cli_but_for_the_date(logdir, tmp_path):
    args = ["--by", "lr", "--metric", "loss", "--band", "std", "--smoothing", "0.3"]
    from_cli = cli_report(logdir, tmp_path / "r.html", *args)
    client = werkzeug_test.Client(make_wsgi_app(str(logdir)))
    query = "by=lr&metric=loss&band=std&smoothing=0.3"
    response = client.get(f"/data/plugin/rungroups/report?{query}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="rungroups-my-logs.html"'
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    from_route = response.get_data(as_text=True)
    a, b = from_cli.splitlines(), from_route.splitlines()
    assert len(a) == len(b)
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    assert all(a[i].startswith('<p class="rg-report-made">') for i in differ)
    assert len(differ) <= 1


def test_the_date_is_the_only_thing_that_changes():
    from tb_plugin import answers  # noqa: F401  (render_html's JSON encoder)

    saved = {"state": {}, "answers": {"groups": {"groups": []}}}
    kw = dict(options=[("a", "b")], logdir_name="x", left_out=0, total_groups=0)
    one = report.render_html(saved, now=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), **kw)
    two = report.render_html(saved, now=datetime.datetime(2027, 2, 2, tzinfo=datetime.UTC), **kw)
    differ = [x for x, y in zip(one.splitlines(), two.splitlines(), strict=True) if x != y]
    assert differ == ['<p class="rg-report-made">Made 2026-01-01 00:00:00 UTC.</p>']


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("band=wide", 400, "band"),
        ("seeds=maybe", 400, "seeds"),
        ("sort=%3Cimg%3E", 400, "sort"),
        ("smoothing=2", 400, "smoothing"),
        ("by=nope", 400, "nope"),
        ("metric=nope", 404, "nope"),
        ("chart=short", 400, "chart"),
    ],
)
def test_route_rejects_bad_views_with_one_clear_error(logdir, query, status, message):
    client = werkzeug_test.Client(make_wsgi_app(str(logdir)))
    response = client.get(f"/data/plugin/rungroups/report?{query}")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_cli_errors_are_one_line_and_write_nothing(logdir, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert cli.main(["report", str(logdir), "-o", str(out), "--metric", "nope"]) == 2
    assert "no run has the scalar tag" in capsys.readouterr().err
    assert cli.main(["report", str(tmp_path / "none"), "-o", str(out)]) == 2
    assert not out.exists()


def test_more_than_the_cap_keeps_the_first_groups_and_says_how_many_it_left_out(tmp_path):
    root = tmp_path / "many"
    for g in range(report.MAX_GROUPS + 7):
        write_events(str(root / f"g={g:03d}"), [scalar_event("loss", 0, g, wall_time=1.0)])
    text = cli_report(root, tmp_path / "r.html", "--by", "g", "--chart-groups", "50", "--seeds")
    saved = data_block(text)["answers"]
    assert len(saved["chart_keys"]) == report.MAX_CHART_GROUPS
    assert [c["key"] for c in saved["curves"]["curves"]] == saved["chart_keys"]
    assert [c["key"] for c in saved["lines"]["curves"]] == saved["chart_keys"]
    assert len(saved["groups"]["sparklines"]["curves"]) == report.MAX_GROUPS
    assert len(saved["groups"]["groups"]) == report.MAX_GROUPS
    assert saved["total_groups"] == report.MAX_GROUPS + 7 and saved["left_out"] == 7
    assert f"the first {report.MAX_GROUPS} of {report.MAX_GROUPS + 7} groups: 7 groups" in text
    kept = {m["trial"] for g in saved["groups"]["groups"] for m in g["members"]}
    assert {t["trial"] for t in saved["runs"]["trials"]} == kept


def test_cli_report_runs_as_the_console_script(logdir, tmp_path):
    out = tmp_path / "r.html"
    done = subprocess.run(
        [sys.executable, "-m", "tb_plugin.cli", "report", str(logdir), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(os.environ, PYTHONPATH=REPO),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out} (")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

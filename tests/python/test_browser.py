"""Every kind of report, opened in a real browser (headless Chromium, Debian's package, which
scripts/bootstrap installs): a run, a run replicated to a precision, a pub/sub run, a sweep over a categorical axis, a plan and a
comparison of two runs.

A copy of each report gets a small probe: a capturing listener for every error event (an image that
does not load, a script error) and for console.error, installed before anything else loads, and a
check after the load event that every image decoded (naturalWidth > 0), every table has a data row
and every figure holds an image. Chromium prints the DOM with the probe's findings (--dump-dom).
Set WSFLEET_SCREENSHOTS=DIR to also save a full-page PNG of each report there."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict

import pytest

import wsfleet
from test_sweep import TINY

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "experiments" / "scenarios"
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")

PROBE_HEAD = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  var what = e.message || (e.target && (e.target.src || e.target.href)) || "error event";
  window.__errors.push(String(what));
}, true);
var __consoleError = console.error;
console.error = function () { window.__errors.push(Array.prototype.join.call(arguments, " ")); __consoleError.apply(console, arguments); };
</script>"""

PROBE_TAIL = """<script>
window.addEventListener("load", function () {
  var broken = [], emptyTables = 0, emptyFigures = 0;
  for (var i = 0; i < document.images.length; i++) {
    var img = document.images[i];
    if (!img.complete || img.naturalWidth === 0) broken.push(img.alt || img.src.slice(0, 40));
  }
  document.querySelectorAll("table").forEach(function (t) {
    var rows = t.querySelectorAll("tbody tr");
    if (rows.length === 0) emptyTables += 1;
  });
  document.querySelectorAll("figure").forEach(function (f) {
    if (!f.querySelector("img")) emptyFigures += 1;
  });
  var out = document.createElement("pre");
  out.id = "__probe";
  out.textContent = JSON.stringify({images: document.images.length, broken: broken, errors: window.__errors,
    tables: document.querySelectorAll("table").length, emptyTables: emptyTables, emptyFigures: emptyFigures,
    title: document.title});
  document.body.appendChild(out);
});
</script>"""


def _open(report: Path, tmp_path: Path) -> Dict[str, object]:
    assert BROWSER, "Chromium is not installed (scripts/bootstrap installs Debian's chromium package)"
    text = report.read_text(encoding="utf-8")
    probed = tmp_path / f"probed-{report.parent.name}.html"
    probed.write_text(text.replace("<head>", "<head>" + PROBE_HEAD, 1).replace("</body>", PROBE_TAIL + "</body>", 1),
                      encoding="utf-8")
    args = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000"]
    proc = subprocess.run(args + ["--dump-dom", probed.as_uri()], capture_output=True, text=True, timeout=180)
    match = re.search(r'<pre id="__probe">(.*?)</pre>', proc.stdout, re.S)
    assert match, f"the probe did not run: {proc.stderr[-2000:]}"
    shots = os.environ.get("WSFLEET_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        subprocess.run(args + ["--window-size=1100,9000", f"--screenshot={Path(shots) / (report.parent.name + '.png')}",
                               report.as_uri()], capture_output=True, timeout=180)
    import html

    return json.loads(html.unescape(match.group(1)))


def _check(found: Dict[str, object], min_images: int) -> None:
    assert found["errors"] == [], found
    assert found["broken"] == [], found
    assert found["images"] >= min_images, found
    assert found["emptyTables"] == 0 and found["emptyFigures"] == 0, found


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    base = tmp_path_factory.mktemp("browser")
    out: Dict[str, Path] = {}
    run = wsfleet.run(SCENARIOS / "default.toml", overrides={"clients.count": 20000, "fleet.max_connections": 4000})
    out["run"] = run.report(base / "run")
    replicated = wsfleet.run(TINY, precision=0.003, metrics=["cpu.mean_utilisation"], max_replications=5,
                             progress=False)
    out["replicated"] = replicated.report(base / "replicated")
    pubsub = wsfleet.run(SCENARIOS / "live_scores.toml",
                         overrides={"clients.count": 3000, "fleet.servers": 5, "run.duration_s": 200.0})
    out["pubsub"] = pubsub.report(base / "pubsub")
    sweep = wsfleet.Sweep(TINY, {"balancer.policy": ["round_robin", "least_connections"]}, replications=2)
    out["sweep"] = sweep.run(base / "sweep", workers=0, progress=False).report()
    plan = wsfleet.plan(TINY, {"rejected_pct": 5.0}, replications=2, out=base / "plan", workers=0, progress=False)
    out["plan"] = plan.report()
    from wsfleet.compare import write_comparison

    other = wsfleet.run(SCENARIOS / "default.toml", overrides={"clients.count": 20000, "fleet.max_connections": 4000,
                                                               "balancer.policy": "round_robin"})
    other.save(base / "run_rr")
    out["compare"] = write_comparison([base / "run", base / "run_rr"], base / "compare" / "report.html")
    return out


@pytest.mark.parametrize("kind,min_images", [("run", 5), ("replicated", 6), ("pubsub", 6), ("sweep", 3), ("plan", 1),
                                             ("compare", 3)])
def test_each_report_renders_in_chromium(reports: Dict[str, Path], tmp_path: Path, kind: str, min_images: int) -> None:
    found = _open(reports[kind], tmp_path)
    _check(found, min_images)
    assert found["tables"] >= 1


def test_the_probe_catches_a_broken_image_and_an_empty_table(tmp_path: Path) -> None:
    page = tmp_path / "bad" / "report.html"
    page.parent.mkdir()
    page.write_text('<!DOCTYPE html><html><head><title>bad</title></head><body><figure><img src="missing.png" '
                    'alt="gone"></figure><figure><p>no image</p></figure><table><tbody></tbody></table></body></html>',
                    encoding="utf-8")
    found = _open(page, tmp_path)
    assert found["broken"] == ["gone"] and found["errors"] and found["emptyTables"] == 1 and found["emptyFigures"] == 1

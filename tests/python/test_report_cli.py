"""The report's command line (python -m wsfleet.report) and its bad inputs: one line on stderr naming
the file and what is wrong, exit status 2 (1 for a report that cannot be written), never a traceback;
run directories cut short or mixing two runs are refused. The report runs from the source tree
(report_source)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from report_source import IMG_RE, PKG_DIR, SRC_PKG, html as _html, load_source

report = load_source("report")


# --------------------------------------------------------------------------------------------
# Bad inputs and the command line


def test_main_writes_report(run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert report.main([str(run_dir), "--no-plots"]) == 0
    assert "report.html" in capsys.readouterr().out
    text = _html(run_dir / "report.html")
    assert "Plots were left out" in text and not IMG_RE.findall(text)


def _bad(capsys: pytest.CaptureFixture, argv: list) -> str:
    assert report.main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err and err.startswith("python -m wsfleet.report: error: ")
    return err


def test_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    err = _bad(capsys, [str(tmp_path / "nope")])
    assert str(tmp_path / "nope") in err and "not found" in err


def test_not_a_directory(run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    err = _bad(capsys, [str(run_dir / "summary.json")])
    assert "not a directory" in err


@pytest.mark.parametrize("name", ["summary.json", "timeseries.csv", "scenario.toml"])
def test_missing_file(run_dir: Path, capsys: pytest.CaptureFixture, name: str) -> None:
    (run_dir / name).unlink()
    err = _bad(capsys, [str(run_dir)])
    assert str(run_dir / name) in err and "file not found" in err


@pytest.mark.parametrize("name, content, message", [
    ("summary.json", "{not json", "invalid JSON"),
    ("summary.json", "[1, 2]", "expected a JSON object"),
    ("scenario.toml", "[fleet\nservers = ", "invalid TOML"),
    ("timeseries.csv", "", "empty file"),
    ("timeseries.csv", "time_s,scope\n1,fleet\n", "missing column(s): server"),
    ("timeseries.csv", "time_s,scope,server\nabc,fleet,-1\n", "time_s has empty or non-numeric values"),
])
def test_invalid_file(run_dir: Path, capsys: pytest.CaptureFixture, name: str, content: str, message: str) -> None:
    (run_dir / name).write_text(content, encoding="utf-8")
    err = _bad(capsys, [str(run_dir)])
    assert str(run_dir / name) in err and message in err
    with pytest.raises(report.ReportError) as info:
        report.write_report(run_dir)
    assert info.value.path == run_dir / name


def test_output_is_a_directory(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    err = _bad(capsys, [str(run_dir), "--out", str(tmp_path)])
    assert str(tmp_path) in err


def test_command_line_exit_status(tmp_path: Path) -> None:
    """The module run as a program: exit status 2 and one line on stderr, no traceback."""
    code = ("import runpy, sys, types; pkg = types.ModuleType(%r); pkg.__path__ = [%r]; "
            "sys.modules[%r] = pkg; runpy.run_module(%r, run_name='__main__')"
            % (SRC_PKG, str(PKG_DIR), SRC_PKG, SRC_PKG + ".report"))
    missing = tmp_path / "missing-run"
    proc = subprocess.run([sys.executable, "-c", code, str(missing)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and str(missing) in proc.stderr


def _installed_report_module() -> bool:
    try:
        return importlib.util.find_spec("wsfleet.report") is not None
    except ImportError:
        return False


@pytest.mark.skipif(not _installed_report_module(), reason="wsfleet is not installed in this environment")
def test_installed_module_entry_point(run_dir: Path, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "wsfleet.report", str(tmp_path / "x")], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "wsfleet.report", str(run_dir), "--out", str(tmp_path / "r.html")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r.html").is_file()


# --------------------------------------------------------------------------------------------
# Incomplete run directories (a write cut short, or files of two runs) are refused


def test_timeseries_cut_mid_line_is_refused(run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    ts = run_dir / "timeseries.csv"
    ts.write_bytes(ts.read_bytes()[:-7])
    err = _bad(capsys, [str(run_dir)])
    assert f"{ts}: incomplete run directory: the file is cut off in the middle of a line" in err


def test_timeseries_cut_between_lines_is_refused(run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    ts = run_dir / "timeseries.csv"
    lines = ts.read_text(encoding="utf-8").splitlines(keepends=True)
    ts.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    err = _bad(capsys, [str(run_dir)])
    assert "incomplete run directory: its samples end at" in err and "the run at 300 s" in err


def test_files_of_two_runs_are_refused(run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    scen = run_dir / "scenario.toml"
    scen.write_text(scen.read_text(encoding="utf-8").replace("seed = 7", "seed = 8"), encoding="utf-8")
    err = _bad(capsys, [str(run_dir)])
    assert f"{scen}: incomplete run directory: its seed (8) is not the summary's (7)" in err
    assert "re-run `wsfleet run --out" in err


def test_unwritable_report_is_an_io_error(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Exit 1 (I/O), as `wsfleet run --out` to an unwritable place: the input was fine."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    assert report.main([str(run_dir), "--out", str(blocker / "r.html"), "--no-plots"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and f"{blocker / 'r.html'}: cannot write the report" in err

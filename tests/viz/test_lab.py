"""The explorers live in JupyterLab, as a student meets them after `make lab` (issue 14).

One test, so that it runs on one pytest-xdist worker with one server. It starts JupyterLab from
the project's environment on a free localhost port, over a temporary copy of book/ (so that
autosave touches nothing), with its own settings, workspace, runtime and trust database and its
own empty frame cache. In headless Chromium it opens each notebook whose stored outputs hold an
explorer, and:

- before running anything (the notebook is untrusted), finds every explorer's HTML player with
  its hint for greyed-out sliders visible;
- runs all cells from the Run menu and checks that no cell errors;
- finds every explorer the stored notebook shows as a live widget, and checks that it fits the
  notebook area of a laptop-sized window with its sliders, and that its picture is shown no
  larger than its natural size;
- moves every live slider with a real key press (arrow right, or left at the end) and back,
  and checks that the picture changes each time, still at no more than its natural size;
- presses the play button of an explorer that has one and checks that the picture changes
  over time.

Then it stops the server and its kernels by process id. Needs Chromium and chromedriver like
tests/test_browser.py: skipped without them, failed under CI (CI=true).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.lab, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
WINDOW = (1280, 720)               # a laptop screen's browser viewport, about
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  f"--window-size={WINDOW[0]},{WINDOW[1]}"]
RUN_ALL_TIMEOUT = 900              # seconds per notebook, on a busy two-core machine
MOVE_TIMEOUT = 60                  # seconds for the kernel to send a new picture
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# ---------------------------------------------------------------------------------------------
# What each notebook should show: read from its stored outputs (which nbval holds to the code)
# ---------------------------------------------------------------------------------------------

def _expected_explorers(path: Path) -> list[dict]:
    """Title, slider names and play slider of each explorer the stored notebook shows."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            page = data.get("text/html", "")
            page = "".join(page) if isinstance(page, list) else page
            if WIDGET_VIEW in data and 'class="cnnlib-explorer"' in page:
                title = re.search(r'<div class="cnnlib-explorer-title">(.*?)</div>', page, re.S)
                play = re.search(r'data-play="([^"]+)"', page)
                found.append({"title": title.group(1) if title else "",
                              "sliders": re.findall(r'data-slider="([^"]+)"', page),
                              "play": play.group(1) if play else None})
    return found


def _notebooks() -> list[str]:
    """Every notebook under book/ with an explorer; ``CNNLIB_LAB_NOTEBOOKS`` (a glob over paths
    relative to book/, e.g. ``part1/1_7*``) picks some while working on them."""
    import fnmatch

    only = os.environ.get("CNNLIB_LAB_NOTEBOOKS", "*")
    return sorted(rel for rel in (p.relative_to(BOOK).as_posix() for p in BOOK.rglob("*.ipynb")
                                  if ".ipynb_checkpoints" not in p.parts)
                  if fnmatch.fnmatch(rel, only) and _expected_explorers(BOOK / rel))


# ---------------------------------------------------------------------------------------------
# The server and the browser
# ---------------------------------------------------------------------------------------------

def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _find(names):
    for name in names:
        path = shutil.which(name) or (name if os.path.isfile(name) else None)
        if path:
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server over a copy of book/, stopped with its kernels by process id."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.notebooks = tmp / "book"
        shutil.copytree(BOOK, self.notebooks,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build"))
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        settings = tmp / "settings"
        # No news or update checks (no network here), no toast over the notebook.
        news = settings / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True)
        (news / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join([str(ROOT)] + [p for p in os.environ.get(
                   "PYTHONPATH", "").split(os.pathsep) if p]),
               "JUPYTER_CONFIG_DIR": str(tmp / "config"),
               "JUPYTER_DATA_DIR": str(tmp / "data"),        # a fresh trust database
               "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
               "JUPYTERLAB_SETTINGS_DIR": str(settings),
               "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
               "CNNLIB_FRAME_CACHE": str(tmp / "frame-cache"),   # a student's first run
               "MPLBACKEND": "agg"}
        jupyter = _find([str(Path(sys.executable).with_name("jupyter")),
                         str(ROOT / ".venv" / "bin" / "jupyter")])
        if jupyter is None:
            pytest.fail("no jupyter executable beside the test's Python or in .venv/bin")
        command = [jupyter, "lab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
                   f"--ServerApp.token={self.token}", f"--notebook-dir={self.notebooks}",
                   "--ServerApp.port_retries=0", "--LabApp.expose_app_in_browser=True"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self.log = open(tmp / "lab.log", "wb")
        self.process = subprocess.Popen(command, cwd=tmp, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"JupyterLab did not answer in 180 s:\n{self.log_tail()}")
                time.sleep(0.5)

    def api(self, method: str, path: str):
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def log_tail(self, n: int = 4000) -> str:
        self.log.flush()
        return (self.tmp / "lab.log").read_bytes()[-n:].decode(errors="replace")

    def stop(self) -> None:
        """SIGTERM to the server, which shuts its kernels down; then SIGKILL by process id to
        any kernel (a child of the server) still alive."""
        import psutil

        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        for child in children:
            try:
                child.wait(timeout=10)
            except psutil.TimeoutExpired:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        self.log.close()


@pytest.fixture(scope="module")
def chromium():
    chromium = _find(["/usr/bin/chromium", "chromium", "chromium-browser"])
    chromedriver = _find(["/usr/bin/chromedriver", "chromedriver"])
    if not (chromium and chromedriver):
        message = ("headless Chromium is needed for the JupyterLab test: install Debian's "
                   "'chromium' and 'chromium-driver'")
        if _in_ci():
            pytest.fail(message + " -- missing under CI")
        pytest.skip(message)
    return chromium, chromedriver


@pytest.fixture(scope="module")
def lab(tmp_path_factory, chromium):
    server = Lab(tmp_path_factory.mktemp("lab"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def driver(chromium, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, chromedriver = chromium
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    browser.set_page_load_timeout(120)
    browser.set_script_timeout(120)
    yield browser
    browser.quit()


# ---------------------------------------------------------------------------------------------
# Looking at the notebook (through the app JupyterLab exposes) and acting like a student
# ---------------------------------------------------------------------------------------------

NOTEBOOK_STATE = """
const app = window.jupyterapp;
const panel = app && app.shell.currentWidget;
if (!panel || !panel.content || !panel.content.model || !panel.sessionContext) { return null; }
const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
const cells = [];
const model = panel.content.model;
for (let i = 0; i < model.cells.length; i++) {
  const cell = model.cells.get(i);
  if (cell.type !== 'code') { continue; }
  const outputs = cell.outputs.toJSON();
  cells.push({index: i, count: cell.executionCount, empty: !cell.sharedModel.getSource().trim(),
              errors: outputs.filter(o => o.output_type === 'error')
                             .map(o => o.ename + ': ' + o.evalue)});
}
const running = document.querySelectorAll('.jp-Notebook .jp-InputPrompt').length &&
  Array.from(document.querySelectorAll('.jp-Notebook .jp-InputPrompt'))
       .some(p => p.textContent.includes('*'));
return {kernel: kernel ? kernel.status : 'none', trusted: model.trusted === undefined ? null :
        model.trusted, cells: cells, running: running,
        path: panel.context ? panel.context.path : null};
"""

PLAYERS = """
return Array.from(document.querySelectorAll('.jp-Notebook .cnnlib-explorer')).map(p => {
  const hint = p.querySelector('.cnnlib-explorer-hint');
  const style = hint && getComputedStyle(hint);
  return {hint: !!hint && style.display !== 'none' && style.visibility !== 'hidden' &&
                !hint.hidden && hint.textContent.trim().length > 0,
          inputs: p.querySelectorAll('input[type=range]').length,
          disabled: p.querySelectorAll('input[type=range][disabled]').length};
});
"""

LIVE = """
const area = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')
          || document.querySelector('.jp-NotebookPanel .jp-Notebook');
return Array.from(document.querySelectorAll('.jp-Notebook .cnnlib-explorer-live')).map(box => {
  const title = box.querySelector('.widget-html-content');
  return {title: title ? title.textContent.trim() : '',
          sliders: Array.from(box.querySelectorAll('.widget-slider')).map(s =>
              (s.querySelector('.widget-label') || {textContent: ''}).textContent.trim()),
          plays: box.querySelectorAll('.widget-play').length,
          area: [area.clientWidth, area.clientHeight]};
});
"""

MEASURE = """
const box = document.querySelectorAll('.jp-Notebook .cnnlib-explorer-live')[arguments[0]];
box.scrollIntoView({block: 'start'});
const img = box.querySelector('img.cnnlib-explorer-frame') || box.querySelector('img');
const r = img.getBoundingClientRect(), b = box.getBoundingClientRect();
return {src: img.src, complete: img.complete, natural: [img.naturalWidth, img.naturalHeight],
        shown: [r.width, r.height], box: [b.width, b.height]};
"""


def _wait(check, timeout, what, interval=0.25):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} (after {timeout} s)")
        time.sleep(interval)


def _open(driver, lab, path):
    driver.get(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}")

    def ready():
        state = driver.execute_script(NOTEBOOK_STATE)
        return state if state and state["path"] == path and state["kernel"] == "idle" else None

    return _wait(ready, 180, f"{path}: the notebook and its kernel did not come up")


def _run_all(driver, path):
    """Run → Run All Cells, then wait until the run has begun, and until every non-empty code
    cell has run (or one failed) with the kernel idle."""
    from selenium.webdriver.common.by import By

    menu = [m for m in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
            if m.text.strip() == "Run"]
    menu[0].click()
    item = _wait(lambda: driver.find_elements(
        By.CSS_SELECTOR, '.lm-Menu-item[data-command="runmenu:run-all"]'), 10,
        "the Run menu has no 'Run All Cells'")
    item[0].click()

    def begun():
        state = driver.execute_script(NOTEBOOK_STATE)
        return state and (state["running"] or any(c["count"] is None and not c["empty"]
                                                  for c in state["cells"]))

    _wait(begun, 60, f"{path}: Run All did not start", interval=0.1)
    stable = []

    def done():
        state = driver.execute_script(NOTEBOOK_STATE)
        ran = [c for c in state["cells"] if not c["empty"]]
        finished = (state["kernel"] == "idle" and not state["running"] and
                    (any(c["errors"] for c in ran) or all(c["count"] is not None for c in ran)))
        stable.append(finished)
        return state if stable[-3:] == [True] * 3 else None

    return _wait(done, RUN_ALL_TIMEOUT, f"{path}: Run All did not finish", interval=0.5)


def _press(driver, box_index, slider_index, key=None):
    """A real key press on a live slider's handle: ``key``, or by default one step right (left
    at the end). Returns the key pressed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .cnnlib-explorer-live")[box_index]
    handle = box.find_elements(By.CSS_SELECTOR, ".widget-slider .noUi-handle")[slider_index]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
    if key is None:
        at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        key = "ARROW_LEFT" if at_end else "ARROW_RIGHT"
    handle.send_keys(getattr(Keys, key))
    return key


def _check_picture(m, where, problems):
    natural_w, natural_h = m["natural"]
    shown_w, shown_h = m["shown"]
    if not (m["complete"] and natural_w > 0):
        problems.append(f"{where}: the picture did not load")
    elif shown_w > natural_w + 0.5 or shown_h > natural_h + 0.5:
        problems.append(f"{where}: a {natural_w}x{natural_h} picture is shown at "
                        f"{shown_w:.0f}x{shown_h:.0f}, larger than its natural size")


def _new_picture(driver, k, before, timeout):
    """Wait for explorer ``k`` to show a picture other than ``before``, loaded."""
    def changed():
        m = driver.execute_script(MEASURE, k)
        return m if m["src"] != before and m["complete"] else None

    return _wait(changed, timeout, "no new picture")


def _drive(driver, lab, path, expected, report) -> list[str]:
    """Everything for one notebook; returns the problems found (empty: all good) and fills
    ``report`` with what was seen."""
    from selenium.webdriver.common.by import By

    problems = []
    state = _open(driver, lab, path)
    if state["trusted"]:
        problems.append(f"{path}: a fresh copy opened trusted; the untrusted view is not tested")
    # Untrusted: JupyterLab shows the HTML players, sanitized: no script, inputs disabled.
    try:
        players = _wait(lambda: (lambda p: p if len(p) >= len(expected) else None)(
            driver.execute_script(PLAYERS)), 30, "")
    except TimeoutError:
        players = driver.execute_script(PLAYERS)
    if len(players) != len(expected):
        problems.append(f"{path}: {len(players)} HTML players before running, the stored "
                        f"notebook shows {len(expected)}")
    for k, player in enumerate(players):
        if player["inputs"] and not player["hint"]:
            problems.append(f"{path}: player {k} has greyed-out sliders but shows no hint")
    report.update(players=len(players), hints=sum(p["hint"] for p in players),
                  disabled=sum(p["disabled"] for p in players))
    started = time.monotonic()
    state = _run_all(driver, path)
    report["run_all_s"] = round(time.monotonic() - started, 1)
    for cell in state["cells"]:
        for error in cell["errors"]:
            problems.append(f"{path}: cell {cell['index']} raised {error}")
    if problems:
        return problems

    try:
        live = _wait(lambda: (lambda b: b if len(b) >= len(expected) else None)(
            driver.execute_script(LIVE)), 30, "")
    except TimeoutError:
        live = driver.execute_script(LIVE)
    report.update(live=len(live), moves=0, plays=0, sizes=[])
    if len(live) != len(expected):
        return problems + [f"{path}: {len(live)} live explorers after Run All, the stored "
                           f"notebook shows {len(expected)}: {[e['title'] for e in expected]}"]
    for k, (box, want) in enumerate(zip(live, expected)):
        where = f"{path}: explorer {want['title']!r}"
        if len(box["sliders"]) != len(want["sliders"]):
            problems.append(f"{where}: {len(box['sliders'])} live sliders, the player has "
                            f"{len(want['sliders'])}")
            continue
        m = driver.execute_script(MEASURE, k)
        _check_picture(m, where, problems)
        report["sizes"].append({"picture": m["natural"], "shown": [round(v) for v in m["shown"]],
                                "with_sliders": [round(v) for v in m["box"]],
                                "area": box["area"]})
        area_w, area_h = box["area"]
        if m["box"][0] > area_w or m["box"][1] > area_h:
            problems.append(f"{where}: with its sliders it takes {m['box'][0]:.0f}x"
                            f"{m['box'][1]:.0f} px; the notebook area of a {WINDOW[0]}x"
                            f"{WINDOW[1]} window is {area_w}x{area_h}")
        for j, name in enumerate(want["sliders"]):
            key = None
            for step in ("there", "back"):
                before = driver.execute_script(MEASURE, k)["src"]
                key = _press(driver, k, j, key if key is None else
                             {"ARROW_LEFT": "ARROW_RIGHT", "ARROW_RIGHT": "ARROW_LEFT"}[key])
                try:
                    m = _new_picture(driver, k, before, MOVE_TIMEOUT)
                except TimeoutError:
                    problems.append(f"{where}: slider {name!r} ({key}, {step}) did not change "
                                    f"the picture in {MOVE_TIMEOUT} s")
                    break
                _check_picture(m, f"{where}, after moving {name!r}", problems)
                report["moves"] += 1
        if want["play"]:
            if box["plays"] != 1:
                problems.append(f"{where}: the player has a play button, the live widget has "
                                f"{box['plays']}")
                continue
            element = driver.find_elements(By.CSS_SELECTOR,
                                           ".jp-Notebook .cnnlib-explorer-live")[k]
            buttons = element.find_elements(By.CSS_SELECTOR, ".widget-play button")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", buttons[0])
            shown = [driver.execute_script(MEASURE, k)["src"]]
            buttons[0].click()                              # play
            try:
                for _ in range(2):
                    shown.append(_new_picture(driver, k, shown[-1], MOVE_TIMEOUT)["src"])
                report["plays"] += 1
            except TimeoutError:
                problems.append(f"{where}: pressing play showed {len(shown) - 1} new "
                                f"picture(s) in {MOVE_TIMEOUT} s, not a sequence")
            buttons[1].click()                              # pause
    return problems


def test_explorers_live_in_jupyterlab(lab, driver):
    notebooks = _notebooks()
    assert notebooks, "no notebook with an explorer under book/"
    problems = []
    for path in notebooks:
        expected = _expected_explorers(lab.notebooks / path)
        report = {}
        try:
            problems += _drive(driver, lab, path, expected, report)
        except TimeoutError as exc:
            problems.append(str(exc))
        finally:
            lab.shut_down_kernels()
            print(f"\n{path}: {json.dumps(report)}")      # shown with pytest -s or -rP
    assert not problems, "\n".join(problems)

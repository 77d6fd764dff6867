"""A headless Chromium driven over the Chrome DevTools Protocol (a test dependency: ``websockets``, BSD).

`open_page` loads a local HTML file in a fresh browser profile and reports what a reader's browser would
see: console errors and uncaught exceptions, every network request the page made, whether each image
decoded (and its size), the page's height, a PNG screenshot and, on request, the page printed to PDF.

Chromium runs as Debian's ``chromium`` package does as root: ``--headless --no-sandbox --disable-gpu``, with
everything that would reach the network on its own turned off (``--disable-background-networking``,
``--disable-component-update``, ``--disable-sync``, ``--disable-quic``, ``--no-first-run``) and a fresh
``--user-data-dir``. The DevTools port is chosen by Chromium (``--remote-debugging-port=0``) and read from
the profile's ``DevToolsActivePort`` file; the socket listens on the loopback address only.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0")


def chromium_path() -> str | None:
    """The Chromium executable on PATH (or $ACCORD_CHROMIUM), or None."""
    env = os.environ.get("ACCORD_CHROMIUM")
    if env:
        return env
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageCheck:
    """What loading a page showed."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page requested, the document included
    failed_requests: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)  # {alt, decoded, width, height, error}
    height: int = 0
    screenshot: bytes = b""
    pdf: bytes = b""
    script_result: Any = None

    def external_requests(self) -> list[str]:
        """Requests to anything but the page itself and data: URIs (the embedded figures)."""
        return [u for u in self.requests if not (u.startswith("data:") or u == self.url)]


class _Session:
    def __init__(self, ws: Any, timeout: float) -> None:
        self.ws = ws
        self.timeout = timeout
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + self.timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float) -> dict[str, Any]:
        for ev in self.events:
            if ev.get("method") == method:
                return ev
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ev = json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            self.events.append(ev)
            if ev.get("method") == method:
                return ev
        raise TimeoutError(f"no {method} within {timeout} s")

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.events.append(json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.01))))
            except TimeoutError:
                return


def open_page(html_file: Path, width: int = 1280, height: int = 900, full_page: bool = False,
              pdf: bool = False, script: str | None = None, timeout: float = 60.0) -> PageCheck:
    """Load ``html_file`` in a fresh headless Chromium and report console errors, requests, images, a
    screenshot (the viewport, or the whole page with ``full_page``), with ``pdf`` the printed page, and with
    ``script`` the value of that JavaScript expression evaluated after the load (before the screenshot)."""
    exe = chromium_path()
    if exe is None:
        raise FileNotFoundError("no Chromium found (apt-get install chromium, or set ACCORD_CHROMIUM)")
    url = Path(html_file).resolve().as_uri()
    # Chromium's helper processes may still be writing the profile as the directory is removed: the whole
    # process group is stopped below, and a file that appears during cleanup is not an error of the page
    with tempfile.TemporaryDirectory(prefix="accord-chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + timeout
            while not (port_file.is_file() and len(port_file.read_text().split()) >= 2):
                if proc.poll() is not None:
                    raise RuntimeError(f"Chromium exited with code {proc.returncode} before it listened")
                if time.monotonic() > deadline:
                    raise TimeoutError("Chromium did not open its DevTools port")
                time.sleep(0.05)
            port, path = port_file.read_text().split()[:2]
            from websockets.sync.client import connect

            with connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=timeout, close_timeout=2) as ws:
                return _check(_Session(ws, timeout), url, width, height, full_page, pdf, script, timeout)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the browser and its helpers (start_new_session)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()


def _check(cdp: _Session, url: str, width: int, height: int, full_page: bool, pdf: bool, script: str | None,
           timeout: float) -> PageCheck:
    target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    sid = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        cdp.send(f"{domain}.enable", session=sid)
    cdp.send("Emulation.setDeviceMetricsOverride",
             {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=sid)
    cdp.events.clear()
    cdp.send("Page.navigate", {"url": url}, session=sid)
    cdp.wait_for("Page.loadEventFired", timeout)
    images = cdp.send("Runtime.evaluate", {
        "expression": """Promise.all(Array.from(document.images).map(function (img) {
            return img.decode().then(function () {
                return {alt: img.alt, decoded: true, width: img.naturalWidth, height: img.naturalHeight};
            }, function (e) { return {alt: img.alt, decoded: false, width: 0, height: 0, error: String(e)}; });
        }))""",
        "awaitPromise": True, "returnByValue": True}, session=sid)["result"]["value"]
    page_height = cdp.send("Runtime.evaluate", {"expression": "document.documentElement.scrollHeight",
                                                "returnByValue": True}, session=sid)["result"]["value"]
    cdp.drain(0.5)  # late console messages or requests
    out = PageCheck(url, images=images, height=int(page_height))
    if script:
        out.script_result = cdp.send("Runtime.evaluate", {"expression": script, "awaitPromise": True,
                                                          "returnByValue": True}, session=sid)["result"].get("value")
    if full_page:
        cdp.send("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": int(page_height), "deviceScaleFactor": 1, "mobile": False}, session=sid)
    shot = cdp.send("Page.captureScreenshot", {"format": "png"}, session=sid)
    out.screenshot = base64.b64decode(shot["data"])
    if pdf:
        printed = cdp.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": False}, session=sid)
        out.pdf = base64.b64decode(printed["data"])
    cdp.drain(0.2)
    for ev in cdp.events:
        method, p = ev.get("method"), ev.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.console_errors.append(d.get("exception", {}).get("description") or d.get("text", "exception"))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.console_errors.append(f"{p['entry'].get('source')}: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent":
            out.requests.append(p.get("request", {}).get("url", ""))
        elif method == "Network.loadingFailed":
            out.failed_requests.append(f"{p.get('errorText')} ({p.get('requestId')})")
    return out


def blank_share(png: bytes) -> float:
    """The share of a screenshot's pixels that are (near) white: 1.0 for a blank page."""
    import io

    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    return float(np.mean(img > 245))

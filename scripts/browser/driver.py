#!/usr/bin/env python3
"""Drives Debian's headless chromium (through Debian's chromium-driver and Selenium) for
BlockLab's browser tests and `blocklab bench ui`.

Protocol: one JSON object per line on stdin, one JSON answer per line on stdout.
  {"op": "open", "url": U}                      navigate and wait for the load event
  {"op": "eval", "js": "return ..."}            run a script in the page -> {"value": ...}
  {"op": "wait", "js": "return ...", "timeout": S}
                                                poll the script every 50 ms until it returns a
                                                truthy value -> {"value": ..., "waited_ms": ...};
                                                {"error": ...} after S seconds (a hang guard)
  {"op": "click", "css": SELECTOR}              click the first match
  {"op": "type", "css": SELECTOR, "text": T}    replace an input's text
  {"op": "screenshot", "path": P, "max_height": H}
                                                the whole page (or its top H pixels) as PNG
  {"op": "quit"}
Any failure answers {"error": "..."} and the driver goes on. The first line printed is
{"ready": true, "browser": VERSION} once chromium has started.
"""
import base64
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = os.environ.get("BLOCKLAB_CHROMIUM", "/usr/bin/chromium")
DRIVER = os.environ.get("BLOCKLAB_CHROMEDRIVER", "/usr/bin/chromedriver")


def start():
    for path, package in ((CHROMIUM, "chromium"), (DRIVER, "chromium-driver")):
        if not os.path.exists(path):
            raise SystemExit(f"{path} is missing: install it with `sudo apt-get install {package}` (or run scripts/setup/dashboard.sh)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                 "--disable-background-networking", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    # Debian's chromedriver matches Debian's chromium; Selenium Manager must not fetch another.
    return webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)


def handle(driver, command):
    op = command.get("op")
    if op == "open":
        driver.get(command["url"])
        return {"ok": True}
    if op == "eval":
        return {"value": driver.execute_script(command["js"])}
    if op == "wait":
        started = time.monotonic()
        deadline = started + float(command.get("timeout", 60))
        last_error = None
        while time.monotonic() < deadline:
            try:
                value = driver.execute_script(command["js"])
                if value:
                    return {"value": value, "waited_ms": (time.monotonic() - started) * 1000}
            except Exception as error:  # the page may be between two documents
                last_error = str(error).splitlines()[0]
            time.sleep(0.05)
        return {"error": f"condition not met after {command.get('timeout', 60)} s: {command['js']}"
                         + (f" (last error: {last_error})" if last_error else "")}
    if op == "click":
        driver.find_element(By.CSS_SELECTOR, command["css"]).click()
        return {"ok": True}
    if op == "type":
        element = driver.find_element(By.CSS_SELECTOR, command["css"])
        element.clear()
        element.send_keys(command["text"])
        return {"ok": True}
    if op == "screenshot":
        metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"],
                     "height": min(size["height"], float(command.get("max_height", 6000))), "scale": 1}})
        with open(command["path"], "wb") as file:
            file.write(base64.b64decode(shot["data"]))
        return {"ok": True, "path": command["path"]}
    if op == "quit":
        return {"ok": True}
    return {"error": f"unknown op {op!r}"}


def main():
    driver = start()
    try:
        print(json.dumps({"ready": True, "browser": driver.capabilities.get("browserVersion")}), flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                command = json.loads(line)
                answer = handle(driver, command)
            except Exception as error:
                command, answer = {}, {"error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"}
            print(json.dumps(answer), flush=True)
            if command.get("op") == "quit":
                break
    finally:
        driver.quit()


if __name__ == "__main__":
    main()

"""Take the README's screenshots of a server running the demo content, in both languages.

    python -m nbopen.demo.screenshots --url http://127.0.0.1:8000 --out docs/screenshots

Needs the dev extra (Playwright) and Debian's chromium.
"""

from __future__ import annotations

import argparse
from pathlib import Path

PAGES = [
    ("home", "/"),
    ("organization", "/gangzhi-tech"),
    ("model-repository", "/gangzhi-tech/port-container-detector"),
    ("dataset-repository", "/yongcheng-data/air-quality-daily"),
    ("file-view", "/gangzhi-tech/smart-port-sdk/blob/main/smart_port/yard.py"),
    ("commit", "/gangzhi-tech/smart-port-sdk/commits/main"),
]


def take(url: str, out: Path, chromium: str = "/usr/bin/chromium") -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        for lang, locale in (("zh", "zh-CN"), ("en", "en-US")):
            context = browser.new_context(
                locale=locale, viewport={"width": 1280, "height": 860}, device_scale_factor=1
            )
            page = context.new_page()
            for name, path in PAGES:
                page.goto(url.rstrip("/") + path)
                target = out / f"{name}-{lang}.png"
                page.screenshot(path=str(target), full_page=False)
                written.append(target)
            context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args()
    for path in take(args.url, Path(args.out)):
        print(path)


if __name__ == "__main__":
    main()

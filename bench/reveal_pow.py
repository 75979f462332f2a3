"""What the reveal proof of work costs, per value: a visitor in Chromium against scrapers.

    .venv/bin/python bench/reveal_pow.py [--difficulty 20] [--browser-values 15]
                                          [--scraper-values 8]

Starts the service (reveal on, rate limits out of the way) and a page on another origin
that serves revealable values with ``/reveal.js``, like a website would. Then, side by
side in one run:

* **Chromium**: clicks each button and times until the link replaces it (the page's own
  script: challenge, proof of work, reveal);
* **Python scraper**: a plain loop, ``urllib`` for the requests and ``hashlib.sha256``
  for every nonce, in its own process;
* **Node scraper**: the same with ``fetch`` and ``crypto.createHash`` (what a scraper
  writes first), and with the page script's own SHA-256 search (the fastest JavaScript
  found), each in its own process.

Each row times whole reveals (both requests and the work), one value after another, and
reports the median, mean and 90th percentile seconds per value and the hashes a second
(nonces tried / seconds). The work per value is geometric: a nonce meets ``d`` zero
bits with probability 2**-d, so the mean is 2**d hashes and the median about 0.69 of it.
Needs /usr/bin/chromium and node (the project's test dependencies include Playwright).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from aiohttp import web

import tokens
from server import Config, create_app
from server.http.reveal import SCRIPT

CHROMIUM = "/usr/bin/chromium"

PYTHON_SCRAPER = r"""
import hashlib, json, sys, time, urllib.parse, urllib.request, base64
service, tokens_ = sys.argv[1], json.loads(sys.argv[2])
def post(path, fields):
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(service + path, data=data) as r:
        return json.loads(r.read())
for token in tokens_:
    start = time.perf_counter()
    challenge = post("/reveal/challenge", {"token": token})["challenge"]
    raw = base64.urlsafe_b64decode(challenge + "==")
    limit = 1 << (256 - raw[3])
    nonce = 0
    while int.from_bytes(hashlib.sha256(raw + nonce.to_bytes(8, "big")).digest(), "big") >= limit:
        nonce += 1
    text = post("/reveal", {"token": token, "challenge": challenge, "nonce": nonce})["text"]
    print(json.dumps({"seconds": time.perf_counter() - start, "hashes": nonce + 1}), flush=True)
"""

NODE_SCRAPER = r"""
const crypto = require("crypto");
const [service, list, mode, scriptPath] = process.argv.slice(1);  // node -e: no script path
let search = null;
if (mode === "script") {
  // The page script's own search function, lifted out of its wrapper.
  const source = require("fs").readFileSync(scriptPath, "utf8");
  const start = source.indexOf("var K = new Int32Array");
  const end = source.indexOf("function fromBase64url");
  search = new Function(source.slice(start, end) + "; return search;")();
}
async function post(path, fields) {
  const r = await fetch(service + path, { method: "POST", body: new URLSearchParams(fields) });
  if (!r.ok) throw new Error(path + " " + r.status);
  return r.json();
}
function solveWithCreateHash(raw) {
  const bits = raw[3];
  const message = Buffer.alloc(44);
  raw.copy(message);
  for (let nonce = 0; ; nonce++) {
    message.writeUInt32BE(Math.floor(nonce / 0x100000000), 36);
    message.writeUInt32BE(nonce >>> 0, 40);
    const digest = crypto.createHash("sha256").update(message).digest();
    if (digest.readUInt32BE(0) >>> (32 - bits) === 0) return nonce;
  }
}
function solveWithScript(raw) {
  const words = new Int32Array(9);
  for (let i = 0; i < 9; i++) words[i] = raw.readInt32BE(4 * i);
  for (let start = 0; ; start += 65536) {
    const low = search(words, 0, start | 0, 65536, raw[3]);
    if (low !== -1) return low >>> 0;
  }
}
(async () => {
  for (const token of JSON.parse(list)) {
    const started = process.hrtime.bigint();
    const { challenge } = await post("/reveal/challenge", { token });
    const raw = Buffer.from(challenge, "base64url");
    const nonce = mode === "script" ? solveWithScript(raw) : solveWithCreateHash(raw);
    await post("/reveal", { token, challenge, nonce: String(nonce) });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(JSON.stringify({ seconds, hashes: nonce + 1 }));
  }
})();
"""


@dataclass(frozen=True)
class Row:
    client: str
    seconds: list[float]
    hashes: list[int]

    def line(self, difficulty: int) -> str:
        s = sorted(self.seconds)
        p90 = s[min(len(s) - 1, int(0.9 * len(s)))]
        rate = sum(self.hashes) / sum(self.seconds)
        # Few samples of a geometric draw are noisy; the rate gives the steadier estimate.
        expected = 2**difficulty / rate
        return (
            f"| {self.client:<36} | {len(s):>6} | {statistics.median(s):>8.2f} "
            f"| {statistics.mean(s):>6.2f} | {p90:>6.2f} | {rate / 1e3:8.0f}k "
            f"| {expected:>9.2f} | {expected * 0.693:>11.2f} |"
        )


async def browser_row(service: str, page_url: str, count: int) -> Row:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            nonces: list[int] = []
            page.on(
                "request",
                lambda r: (
                    nonces.append(int(parse_qs(r.post_data or "")["nonce"][0]))
                    if r.url == service + "/reveal"
                    else None
                ),
            )
            await page.goto(page_url, wait_until="load")
            await page.wait_for_selector("button.glyphveil-reveal-button")
            seconds = []
            for i in range(count):
                start = time.perf_counter()
                await page.get_by_role("button", name=f"Show value {i}", exact=True).click()
                await page.locator(f"#v{i} a").wait_for(timeout=600_000)
                seconds.append(time.perf_counter() - start)
        finally:
            await browser.close()
    return Row("Chromium, /reveal.js (click to link)", seconds, [n + 1 for n in nonces])


async def scraper_row(name: str, command: list[str]) -> Row:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode:
        raise SystemExit(f"{name} failed: {err.decode()[-500:]}")
    results = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    return Row(name, [r["seconds"] for r in results], [r["hashes"] for r in results])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--difficulty", type=int, default=Config.reveal_difficulty)
    parser.add_argument("--browser-values", type=int, default=15)
    parser.add_argument("--scraper-values", type=int, default=8)
    args = parser.parse_args()

    keyring = tokens.KeyRing([tokens.generate_key()])
    config = Config().with_values(
        reveal=True,
        reveal_difficulty=args.difficulty,
        reveal_client_rate=100_000,
        reveal_token_rate=100_000,
    )
    runner = web.AppRunner(create_app(config, keyring), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    service = f"http://127.0.0.1:{port}"

    count = max(args.browser_values, args.scraper_values)
    values = [f"person{i}@example.com" for i in range(count)]
    minted = [tokens.encode(v, keyring=keyring, revealable=True) for v in values]
    items = "".join(
        f'<li id="v{i}">'
        + tokens.reveal_button(
            f'<img src="{service}/t/{t}.png" alt="value {i}">', t, label=f"Show value {i}"
        )
        + "</li>"
        for i, t in enumerate(minted[: args.browser_values])
    )
    html = (
        f"<!doctype html><meta charset=utf-8><title>bench</title><ul>{items}</ul>"
        f'<script src="{service}/reveal.js" defer></script>'
    )
    csp = f"default-src 'none'; img-src {service}; script-src {service}; connect-src {service}"

    async def page_view(request: web.Request) -> web.Response:
        headers = {"Content-Security-Policy": csp}
        return web.Response(text=html, content_type="text/html", headers=headers)

    page_app = web.Application()
    page_app.router.add_get("/", page_view)
    page_runner = web.AppRunner(page_app, access_log=None)
    await page_runner.setup()
    page_site = web.TCPSite(page_runner, "127.0.0.1", 0)
    await page_site.start()
    page_url = f"http://127.0.0.1:{page_runner.addresses[0][1]}/"

    scraper_tokens = json.dumps(minted[: args.scraper_values])
    with tempfile.TemporaryDirectory() as tmp:
        script_path = Path(tmp) / "reveal.js"
        script_path.write_bytes(SCRIPT)
        rows = [await browser_row(service, page_url, args.browser_values)]
        rows.append(
            await scraper_row(
                "Python scraper, hashlib loop",
                [sys.executable, "-c", PYTHON_SCRAPER, service, scraper_tokens],
            )
        )
        for mode, name in (("createHash", "crypto.createHash"), ("script", "the script's SHA-256")):
            rows.append(
                await scraper_row(
                    f"Node scraper, {name}",
                    ["node", "-e", NODE_SCRAPER, service, scraper_tokens, mode, str(script_path)],
                )
            )
    await page_runner.cleanup()
    await runner.cleanup()

    load = os.getloadavg()[0]
    print(
        f"Reveal proof of work at {args.difficulty} bits (2**{args.difficulty} = "
        f"{2**args.difficulty:,} hashes on average, median about {0.693 * 2**args.difficulty:,.0f})"
    )
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {load:.1f}")
    print()
    print("Per value: measured median, mean and p90 seconds; then, from the hash rate, the")
    print("expected mean 2**d / rate and median 0.69 * 2**d / rate (steadier than few samples).")
    print()
    print(
        "| client                               | values | median s | mean s |  p90 s "
        "|  hashes/s | exp. mean | exp. median |"
    )
    print(
        "|--------------------------------------|-------:|---------:|-------:|-------:"
        "|----------:|----------:|------------:|"
    )
    for row in rows:
        print(row.line(args.difficulty))
    browser = sum(rows[0].hashes) / sum(rows[0].seconds)
    print()
    for row in rows[1:]:
        rate = sum(row.hashes) / sum(row.seconds)
        print(f"{row.client}: {browser / rate:.1f}x the browser's time per value (by hash rate)")


if __name__ == "__main__":
    asyncio.run(main())

/* glyphveil reveal: turns protected images that were minted revealable into their text
 * (a mailto:/tel: link or plain text) when the visitor asks, after a proof of work.
 *
 * Load it from the glyphveil service: <script src="https://img.example.com/reveal.js" defer>.
 * It needs that origin in the page's script-src and connect-src, nothing else: no inline
 * script, no eval, no workers, no third-party code. Without it the images simply stay.
 *
 * Markup (from tokens.reveal_button):
 *   <span class="glyphveil-reveal" data-glyphveil-token="…" data-glyphveil-label="Show email address"><img …></span>
 * The script puts a <button class="glyphveil-reveal-button"> around the image, with a
 * small visible "show" hint (<span class="glyphveil-reveal-hint">) and a focus ring;
 * its default look is a low-specificity style (:where()) that any rule of the site's
 * own CSS overrides. Activating it (click, Enter, Space) asks the service for a
 * challenge, finds a nonce whose SHA-256 starts with the asked number of zero bits,
 * checks the winning hash with WebCrypto, and trades it for the text.
 *
 * When the service's answer cannot be read (its GLYPHVEIL_REVEAL_ORIGINS does not list
 * this page's origin, or it is unreachable), the page says to look in the console, and
 * the console says why.
 *
 * The search hashes with the small SHA-256 below rather than crypto.subtle.digest: one
 * asynchronous WebCrypto call per nonce is about twenty times slower in Chromium, which
 * would let a scraper's native loop outpace visitors by that much more. Work runs in
 * slices of a few milliseconds on the page's thread, so the page stays responsive (a
 * worker would need a same-origin or blob: script, which a strict CSP forbids).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !window.fetch || !window.URLSearchParams || !window.MessageChannel) return;
  var service = new URL(script.src).origin;
  var SLICE = 16384; // nonces between two yields to the page: a few milliseconds

  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var H0 = 0x6a09e667;

  /* The first 32 bits of SHA-256(challenge (36 bytes) || high || low), both big-endian
   * 32-bit words, for low = start … start + count - 1: the first low whose hash starts
   * with `bits` zero bits, or -1. The message is one 44-byte block. */
  function search(words, high, start, count, bits) {
    var W = new Int32Array(64);
    var shift = 32 - bits;
    for (var low = start; low < start + count; low++) {
      var t;
      for (t = 0; t < 9; t++) W[t] = words[t];
      W[9] = high; W[10] = low; W[11] = 0x80000000; W[12] = 0; W[13] = 0; W[14] = 0; W[15] = 352;
      for (t = 16; t < 64; t++) {
        var x = W[t - 15], y = W[t - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
      }
      var a = H0, b = 0xbb67ae85 | 0, c = 0x3c6ef372, d = 0xa54ff53a | 0;
      var e = 0x510e527f, f = 0x9b05688c | 0, g = 0x1f83d9ab, h = 0x5be0cd19;
      for (t = 0; t < 64; t++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      if ((((a + H0) | 0) >>> shift) === 0) return low;
    }
    return -1;
  }

  function fromBase64url(text) {
    var binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  var channel = new MessageChannel();
  var waiting = [];
  channel.port1.onmessage = function () { waiting.shift()(); };
  function yieldToPage() {
    return new Promise(function (resolve) { waiting.push(resolve); channel.port2.postMessage(0); });
  }

  function leadingZeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      return bits + Math.clz32(bytes[i]) - 24;
    }
    return bits;
  }

  /* Find the nonce for a challenge (docs/tokens.md §10), as a decimal string. */
  async function solve(challenge) {
    var raw = fromBase64url(challenge);
    if (raw.length !== 36 || raw[0] !== 1) throw new Error("unknown challenge format");
    var bits = raw[3];
    var view = new DataView(raw.buffer);
    var words = new Int32Array(9);
    for (var i = 0; i < 9; i++) words[i] = view.getInt32(4 * i);
    for (var high = 0; ; high++) {
      for (var start = 0; start < 0x100000000; start += SLICE) {
        var low = search(words, high, start | 0, SLICE, bits);
        if (low !== -1) {
          var nonce = high * 0x100000000 + (low >>> 0);
          await check(raw, high, low >>> 0, bits);
          return String(nonce);
        }
        await yieldToPage();
      }
    }
  }

  /* Confirm the winning hash with WebCrypto, where the page has it (secure contexts). */
  async function check(raw, high, low, bits) {
    if (!window.crypto || !crypto.subtle) return;
    var message = new Uint8Array(44);
    message.set(raw);
    var view = new DataView(message.buffer);
    view.setUint32(36, high);
    view.setUint32(40, low);
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", message));
    if (leadingZeroBits(digest) < bits) throw new Error("proof of work failed its check");
  }

  /* The default look: :where() gives it no specificity, so the site's CSS wins. A
   * constructed style sheet, which a strict CSP (style-src 'none') still allows. */
  var LOOK =
    ":where(.glyphveil-reveal-button){display:inline-flex;align-items:center;gap:.35em;" +
    "padding:2px 6px;border:1px solid #767b85;border-radius:4px;background:#f4f5f7;" +
    "vertical-align:middle;" +
    "color:#1d2433;font:inherit;line-height:1;cursor:pointer}" +
    ":where(.glyphveil-reveal-button):hover{background:#e6e8ec;border-color:#4a505c}" +
    ":where(.glyphveil-reveal-button):focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}" +
    ":where(.glyphveil-reveal-button[aria-busy=true]){cursor:progress}" +
    ":where(.glyphveil-reveal-hint){font-size:.75em;font-family:system-ui,sans-serif;" +
    "text-transform:lowercase;color:#1d2433}";
  function addLook() {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(LOOK);
      document.adoptedStyleSheets = [sheet].concat(document.adoptedStyleSheets);
    } catch (error) { /* an older browser: the button keeps the browser's own look */ }
  }

  function post(path, fields) {
    return fetch(service + path, {
      method: "POST",
      body: new URLSearchParams(fields),
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "strict-origin"
    });
  }

  function Refused(status, retryAfter) {
    this.status = status;
    this.retryAfter = retryAfter;
  }

  function Unreadable() {}

  /* A request whose answer the page cannot read: CORS refused it (the service does not
   * list this page's origin) or the service did not answer. Say so in the console. */
  async function send(path, fields) {
    try {
      return await post(path, fields);
    } catch (error) {
      console.warn(
        "glyphveil reveal: no readable answer from " + service + path + ". If the service " +
        "is up, its GLYPHVEIL_REVEAL_ORIGINS must list this page's origin, " +
        location.origin + " (or same-origin when the page is on the service's own host)."
      );
      throw new Unreadable();
    }
  }

  async function ask(token) {
    for (var attempt = 0; attempt < 2; attempt++) {
      var response = await send("/reveal/challenge", { token: token });
      if (!response.ok) throw new Refused(response.status, response.headers.get("Retry-After"));
      var challenge = (await response.json()).challenge;
      var nonce = await solve(challenge);
      response = await send("/reveal", { token: token, challenge: challenge, nonce: nonce });
      if (response.ok) return response.json();
      // 404: the challenge expired while the work ran (a slow device); try once more.
      if (response.status !== 404) throw new Refused(response.status, response.headers.get("Retry-After"));
    }
    throw new Refused(404, null);
  }

  function say(container, message) {
    var status = container.querySelector(".glyphveil-status");
    if (!status) {
      status = document.createElement("span");
      status.className = "glyphveil-status";
      status.setAttribute("role", "status");
      container.appendChild(status);
    }
    status.textContent = " " + message; // a space apart from the button, in any style
  }

  async function reveal(container, button, label) {
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    button.setAttribute("aria-disabled", "true");
    container.setAttribute("data-glyphveil-state", "working");
    say(container, "Revealing…");
    try {
      var answer = await ask(container.getAttribute("data-glyphveil-token"));
      var hadFocus = document.activeElement === button || document.activeElement === document.body;
      var shown;
      if (answer.href) {
        shown = document.createElement("a");
        shown.href = answer.href;
      } else {
        shown = document.createElement("span");
        shown.tabIndex = -1;
      }
      shown.className = "glyphveil-revealed";
      shown.textContent = answer.text;
      container.replaceChildren(shown);
      container.removeAttribute("data-glyphveil-token");
      container.setAttribute("data-glyphveil-state", "revealed");
      if (hadFocus) shown.focus();
    } catch (error) {
      var limited = error instanceof Refused && (error.status === 429 || error.status === 503);
      var wait = limited ? Number(error.retryAfter) || 60 : 0;
      container.setAttribute("data-glyphveil-state", wait ? "limited" : "failed");
      if (error instanceof Unreadable) {
        say(container, "Could not reveal the text (site owner: see the browser console).");
      } else if (error instanceof Refused && error.status === 503) {
        say(container, "The service is busy: try again in " + wait + " s.");
      } else if (wait) {
        say(container, "Too many requests: try again in " + wait + " s.");
      } else {
        if (!(error instanceof Refused)) console.warn("glyphveil reveal:", error);
        say(container, "Could not reveal the text.");
      }
      button.removeAttribute("aria-busy");
      button.removeAttribute("aria-disabled");
      button.setAttribute("aria-label", label);
    }
  }

  function upgrade(container) {
    if (container.querySelector("button")) return;
    var image = container.querySelector("img");
    var label = container.getAttribute("data-glyphveil-label") ||
      "Show " + ((image && image.alt) || "the text");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "glyphveil-reveal-button";
    button.setAttribute("aria-label", label);
    while (container.firstChild) button.appendChild(container.firstChild);
    var hint = document.createElement("span");
    hint.className = "glyphveil-reveal-hint";
    hint.setAttribute("aria-hidden", "true"); // the label names the button
    hint.textContent = "show";
    button.appendChild(hint);
    container.appendChild(button);
    button.addEventListener("click", function () { reveal(container, button, label); });
  }

  function start() {
    addLook();
    var found = document.querySelectorAll(".glyphveil-reveal[data-glyphveil-token]");
    for (var i = 0; i < found.length; i++) upgrade(found[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

"""Swagger UI's "Try it out" in headless Chromium, driven over the DevTools
protocol (aiohttp's websocket client): authorize with the Bearer key, then
run one read (`bots.list`) and one write (`profile.postbacks`) from the
page, as a person would, and print what each answered.

    python3 swagger_try_it.py CHROMIUM DOCS_URL KEY
"""

import asyncio
import json
import socket
import subprocess
import sys
import tempfile

import aiohttp

AUTHORIZE = """(async (key) => {
  const wait = async (find) => { for (let n = 0; n < 200; n++) { const el = find(); if (el) return el;
    await new Promise(r => setTimeout(r, 50)); } throw new Error('not found: ' + find); };
  const type = (el, value) => { const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement : HTMLInputElement;
    Object.getOwnPropertyDescriptor(proto.prototype, 'value').set.call(el, value);
    el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); };
  (await wait(() => document.querySelector('.auth-wrapper .authorize'))).click();
  const form = await wait(() => [...document.querySelectorAll('.auth-container')]
    .find(c => c.textContent.includes('bearer') && c.querySelector('input')));
  type(form.querySelector('input'), key);
  form.querySelector('button.authorize, .auth-btn-wrapper .btn.modal-btn.auth').click();
  await wait(() => form.querySelector('button.logout, .btn-done') || null);
  (await wait(() => document.querySelector('.btn-done, .close-modal'))).click();
  return 'authorized';
})"""

TRY = """(async (path, method, body) => {
  const wait = async (find) => { for (let n = 0; n < 200; n++) { const el = find(); if (el) return el;
    await new Promise(r => setTimeout(r, 50)); } throw new Error('not found: ' + find); };
  const type = (el, value) => { const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement : HTMLInputElement;
    Object.getOwnPropertyDescriptor(proto.prototype, 'value').set.call(el, value);
    el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); };
  const block = await wait(() => [...document.querySelectorAll('.opblock.opblock-' + method)]
    .find(b => b.querySelector('[data-path="' + path + '"]')));
  block.querySelector('button.opblock-summary-control').click();
  // tryItOutEnabled opens every operation ready to run; otherwise press the button.
  try { await wait(() => block.querySelector('.execute, .try-out__btn')); }
  catch (e) { throw new Error('operation did not open: ' + block.className + ' ' + block.outerHTML.slice(0, 1500)); }
  const tryOut = block.querySelector('.try-out__btn:not(.cancel)');
  if (tryOut && !block.querySelector('.execute')) tryOut.click();
  if (body !== null) type(await wait(() => block.querySelector('textarea.body-param__text')), body);
  (await wait(() => block.querySelector('.execute'))).click();
  const out = await wait(() => { const el = block.querySelector('.live-responses-table .response-col_description pre');
    return el && el.textContent.includes('status') ? el : null; });
  return out.textContent;
})"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Page:
    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    async def call(self, method, **params):
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = json.loads((await self.ws.receive()).data)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    async def run(self, function, *args):
        expression = f"({function})({', '.join(json.dumps(a) for a in args)})"
        result = await self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                                 returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(json.dumps(result["exceptionDetails"])[:2000])
        return result["result"]["value"]


async def main(chromium, docs, key):
    port = free_port()
    profile = tempfile.mkdtemp(prefix="usher-swagger-")
    browser = subprocess.Popen([
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-extensions", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--remote-debugging-port={port}", f"--user-data-dir={profile}", "about:blank",
    ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as http:
            # Chromium can take many seconds to start on a loaded CI
            # machine (the other test binaries run beside it).
            page = None
            for _ in range(600):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/json/list") as res:
                        targets = await res.json()
                    page = next(t for t in targets if t["type"] == "page")
                    break
                except (aiohttp.ClientError, StopIteration):
                    await asyncio.sleep(0.1)
            if page is None:
                raise RuntimeError("Chromium's DevTools endpoint did not come up within 60 s")
            async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                tab = Page(ws)
                await tab.call("Page.enable")
                await tab.call("Page.navigate", url=docs)
                print(await tab.run(AUTHORIZE, key))
                read = await tab.run(TRY, "/api/bots/list.json", "get", None)
                print("READ", json.dumps(json.loads(read)))
                body = json.dumps({"pb_wait": "https://tracker.example/pb?subid={click}"})
                written = await tab.run(TRY, "/api/profile/postbacks.json", "post", body)
                print("WRITE", json.dumps(json.loads(written)))
    finally:
        browser.kill()
        browser.wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))

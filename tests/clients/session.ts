// A customer session through openapi-fetch typed by openapi-typescript from
// usher's served document, compiled with `tsc --strict`, without a line of
// patching: list, add, chats, campaign add, get, pause, resume, del, bot
// del, restore, and an error of each kind. The sandbox (fake Telegram) is
// driven with plain fetch.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

declare const process: { env: Record<string, string | undefined>; exit(code: number): never };

type Error = components["schemas"]["ApiError"];

const USHER = process.env.USHER_URL ?? "";
const KEY = process.env.USHER_KEY ?? "";
const SANDBOX = process.env.SANDBOX_URL ?? "";
const CHANNEL = -1009876543211;

function check(condition: boolean, what: string): asserts condition {
  if (!condition) {
    throw new globalThis.Error(what);
  }
}

/// The data of an ok envelope; fails on an error envelope.
function ok<T extends { status: string }>(answer: T | undefined, what: string): Exclude<T, Error> {
  check(answer !== undefined, `${what}: no answer`);
  check(answer.status === "ok", `${what}: ${JSON.stringify(answer)}`);
  return answer as Exclude<T, Error>;
}

function failed(answer: { status: string } | undefined, code: string, what: string): void {
  check(answer !== undefined && answer.status === "error", `${what}: not an error`);
  const error = (answer as Error).error;
  check(error === code, `${what}: ${error}, not ${code}`);
}

async function sandbox(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${SANDBOX}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

async function main(): Promise<void> {
  const api = createClient<paths>({ baseUrl: USHER, headers: { Authorization: `Bearer ${KEY}` } });
  const fake = await sandbox("POST", "/_sandbox/bots", { username: "gentsbot", first_name: "Generated" });

  check(ok((await api.GET("/api/bots/list.json")).data, "list").data.length === 0, "no bots yet");
  const added = ok((await api.POST("/api/bots/add.json", { body: { token: fake.token } })).data, "add").data;
  check(added.username === "gentsbot", "added the bot");
  const bot = added.id;

  await sandbox("POST", `/_sandbox/bots/${fake.id}/events`, {
    type: "promote",
    chat: { id: CHANNEL, title: "Generated", type: "channel" },
    by: { id: 1, first_name: "Owner" },
  });
  let chats: { id: number }[] = [];
  for (let n = 0; n < 200 && chats.length === 0; n++) {
    chats = ok((await api.GET("/api/bots/chats.json", { params: { query: { id: bot } } })).data, "chats").data;
    if (chats.length === 0) await new Promise((done) => setTimeout(done, 50));
  }
  check(chats.length === 1 && chats[0].id === CHANNEL, "the channel is offered");

  // Settings errors while the channel is offered.
  const campaign = (body: components["schemas"]["CampAddRequest"]) => api.POST("/api/camp/add.json", { body });
  failed((await campaign({ bot, chat: CHANNEL, welcome: "my_channel" })).data, "welcome", "welcome");
  failed((await campaign({ bot, chat: CHANNEL, welcome: "Hi", button_text: "Go" })).data, "button", "button");
  failed((await campaign({ bot, chat: CHANNEL, welcome: "Hi", unsub_window: -1 })).data, "unsub", "unsub");
  failed((await campaign({ bot, chat: CHANNEL, welcome: "Hi", pb_wait: "ftp://x" })).data, "postback", "postback");
  const camp = ok(
    (await api.POST("/api/camp/add.json", { body: { bot, chat: CHANNEL, welcome: "Hi {name}" } })).data,
    "camp add",
  ).data;
  check(camp.status === 0 && camp.link.endsWith("-{click}"), "an active campaign with its link");
  const get = async () =>
    ok((await api.GET("/api/camp/get.json", { params: { query: { id: camp.id } } })).data, "camp get").data;
  check((await get()).code === camp.code, "got the campaign");
  ok((await api.POST("/api/camp/pause.json", { body: { id: camp.id } })).data, "pause");
  check((await get()).status === 1, "paused");
  ok((await api.POST("/api/camp/resume.json", { body: { id: camp.id } })).data, "resume");
  check((await get()).status === 0, "active again");
  ok((await api.POST("/api/camp/del.json", { body: { id: camp.id } })).data, "camp del");
  check((await get()).status === 2, "deleted");

  ok((await api.POST("/api/bots/del.json", { body: { id: bot } })).data, "bot del");
  const listed = ok((await api.GET("/api/bots/list.json")).data, "list").data;
  check(listed.length === 1 && listed[0].status === 3, "the bot is deleted");
  const restored = ok((await api.POST("/api/bots/add.json", { body: { token: fake.token } })).data, "restore");
  check(restored.data.id === bot, "a re-add restores the same record");

  const stranger = createClient<paths>({ baseUrl: USHER, headers: { Authorization: "Bearer 1-nope" } });
  failed((await stranger.GET("/api/bots/list.json")).data, "key", "a wrong key");
  failed((await api.POST("/api/bots/add.json", { body: { token: "not-a-token" } })).data, "token", "token");
  failed((await api.GET("/api/bots/chats.json", { params: { query: { id: 999999 } } })).data, "id", "id");
  failed((await campaign({ bot: 999999, chat: CHANNEL, welcome: "Hi" })).data, "bot", "bot");
  failed((await campaign({ bot, chat: -1, welcome: "Hi" })).data, "chat", "chat");
  const leads = (query: { campaign?: number; status?: number; limit?: number }) =>
    api.GET("/api/leads/list.json", { params: { query } });
  failed((await leads({ campaign: 999999 })).data, "campaign", "campaign");
  failed((await leads({ status: 9 })).data, "status", "status");
  failed((await leads({ limit: 500 })).data, "limit", "limit");
  console.log("typescript session: ok");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

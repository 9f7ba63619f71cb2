// A customer session through the client openapi-generator's typescript-fetch
// makes from usher's served document (options `supportsES6`,
// `importFileExtension=.js`), compiled with `tsc --strict`, without a line
// of patching: list, add, chats, campaign add, get, invite links, pause, resume, del, bot
// del, restore, and an error of each kind; the key as `Authorization:
// Bearer` (`accessToken`). The sandbox (fake Telegram) is driven with plain
// fetch.
import { BotsApi, CampApi, Configuration, LeadsApi } from "./client/index.js";

declare const process: { env: Record<string, string | undefined>; exit(code: number): never };

const USHER = process.env.USHER_URL ?? "";
const KEY = process.env.USHER_KEY ?? "";
const SANDBOX = process.env.SANDBOX_URL ?? "";
const CHANNEL = -1009876543212;

function check(condition: boolean, what: string): asserts condition {
  if (!condition) {
    throw new globalThis.Error(what);
  }
}

type Envelope = { status: "ok" | "error"; error?: string; data?: unknown };

/// The ok envelope; fails on an error envelope.
function ok<T extends { status: string }>(answer: T, what: string): Extract<T, { status: "ok" }> {
  check(answer.status === "ok", `${what}: ${JSON.stringify(answer)}`);
  return answer as Extract<T, { status: "ok" }>;
}

function failed(answer: { status: string }, code: string, what: string): void {
  check(answer.status === "error", `${what}: not an error: ${JSON.stringify(answer)}`);
  const error = (answer as Envelope).error;
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
  const config = new Configuration({ basePath: USHER, accessToken: KEY });
  const bots = new BotsApi(config);
  const camps = new CampApi(config);
  const leads = new LeadsApi(config);
  const fake = await sandbox("POST", "/_sandbox/bots", { username: "oagtsbot", first_name: "Generated" });

  check(ok(await bots.botsList(), "list").data.length === 0, "no bots yet");
  const added = ok(await bots.botsAdd({ botsAddRequest: { token: fake.token } }), "add").data;
  check(added.username === "oagtsbot", "added the bot");
  const bot = added.id;

  await sandbox("POST", `/_sandbox/bots/${fake.id}/events`, {
    type: "promote",
    chat: { id: CHANNEL, title: "Generated", type: "channel" },
    by: { id: 1, first_name: "Owner" },
  });
  let chats: { id: number }[] = [];
  for (let n = 0; n < 200 && chats.length === 0; n++) {
    chats = ok(await bots.botsChats({ id: bot }), "chats").data;
    if (chats.length === 0) await new Promise((done) => setTimeout(done, 50));
  }
  check(chats.length === 1 && chats[0].id === CHANNEL, "the channel is offered");

  failed(await camps.campAdd({ campAddRequest: { bot, chat: CHANNEL, welcome: "my_channel" } }), "welcome", "welcome");
  failed(
    await camps.campAdd({ campAddRequest: { bot, chat: CHANNEL, welcome: "Hi", buttonText: "Go" } }),
    "button",
    "button",
  );
  const camp = ok(await camps.campAdd({ campAddRequest: { bot, chat: CHANNEL, welcome: "Hi {name}" } }), "camp add")
    .data;
  check(camp.status === 0 && camp.link.endsWith("-{click}"), "an active campaign with its link");
  const get = async () => ok(await camps.campGet({ id: camp.id }), "camp get").data;
  check((await get()).code === camp.code, "got the campaign");
  const linked = ok(await camps.campEdit({ campEditRequest: { id: camp.id, linkMode: "request" } }), "link mode")
    .data;
  check(linked.linkMode === "request" && linked.inviteLink.startsWith("https://t.me/+"), "a request link");
  const extra = ok(
    await camps.campLinksChange({ campLinksChangeRequest: { id: camp.id, name: "ad 1" } }),
    "make a link",
  ).data;
  check(extra.joinRequest && !extra.primary && extra.name === "ad 1", "an extra request link");
  const revoked = ok(
    await camps.campLinksChange({ campLinksChangeRequest: { id: camp.id, revoke: extra.id } }),
    "revoke a link",
  ).data;
  check(revoked.revoked !== "0000-00-00 00:00:00", "revoked");
  const all = ok(await camps.campLinks({ id: camp.id }), "links").data;
  check(all.length === 2 && all[0].primary && all[0].url === linked.inviteLink, "both links listed");
  failed(await camps.campLinksChange({ campLinksChangeRequest: { id: camp.id, name: " " } }), "name", "name");
  failed(await camps.campLinksChange({ campLinksChangeRequest: { id: camp.id, revoke: all[0].id } }), "link", "link");
  ok(await camps.campPause({ campPauseRequest: { id: camp.id } }), "pause");
  check((await get()).status === 1, "paused");
  ok(await camps.campResume({ campResumeRequest: { id: camp.id } }), "resume");
  check((await get()).status === 0, "active again");
  ok(await camps.campDel({ campDelRequest: { id: camp.id } }), "camp del");
  check((await get()).status === 2, "deleted");

  ok(await bots.botsDel({ botsDelRequest: { id: bot } }), "bot del");
  const listed = ok(await bots.botsList(), "list").data;
  check(listed.length === 1 && listed[0].status === 3, "the bot is deleted");
  const restored = ok(await bots.botsAdd({ botsAddRequest: { token: fake.token } }), "restore");
  check(restored.data.id === bot, "a re-add restores the same record");

  const stranger = new BotsApi(new Configuration({ basePath: USHER, accessToken: "1-nope" }));
  failed(await stranger.botsList(), "key", "a wrong key");
  failed(await bots.botsAdd({ botsAddRequest: { token: "not-a-token" } }), "token", "token");
  failed(await bots.botsChats({ id: 999999 }), "id", "id");
  failed(await camps.campAdd({ campAddRequest: { bot: 999999, chat: CHANNEL, welcome: "Hi" } }), "bot", "bot");
  failed(await camps.campAdd({ campAddRequest: { bot, chat: -1, welcome: "Hi" } }), "chat", "chat");
  failed(await leads.leadsList({ campaign: 999999 }), "campaign", "campaign");
  failed(await leads.leadsList({ limit: 500 }), "limit", "limit");
  console.log("typescript-fetch session: ok");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

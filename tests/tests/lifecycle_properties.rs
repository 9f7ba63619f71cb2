//! Property test: any sequence of add, delete, re-add, promote, demote,
//! campaign add and campaign delete, run against the real service (real
//! PostgreSQL, the sandbox delivering updates), keeps the invariants of
//! `rules.md` after every step.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Value, json};
use usher_sandbox::{FakeBot, SandboxChat, SandboxEvent, SandboxUser};
use usher_tests::{Account, TestApp};

#[derive(Debug, Clone)]
enum Op {
    Add {
        account: usize,
        bot: usize,
    },
    Delete {
        account: usize,
        bot: usize,
    },
    Promote {
        bot: usize,
        chat: usize,
    },
    Demote {
        bot: usize,
        chat: usize,
    },
    CampaignAdd {
        account: usize,
        bot: usize,
        chat: usize,
    },
    CampaignDelete {
        account: usize,
        nth: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..2usize, 0..2usize).prop_map(|(account, bot)| Op::Add { account, bot }),
        (0..2usize, 0..2usize).prop_map(|(account, bot)| Op::Delete { account, bot }),
        (0..2usize, 0..2usize).prop_map(|(bot, chat)| Op::Promote { bot, chat }),
        (0..2usize, 0..2usize).prop_map(|(bot, chat)| Op::Demote { bot, chat }),
        (0..2usize, 0..2usize, 0..2usize).prop_map(|(account, bot, chat)| Op::CampaignAdd {
            account,
            bot,
            chat
        }),
        (0..2usize, 0..3usize).prop_map(|(account, nth)| Op::CampaignDelete { account, nth }),
    ]
}

const CHATS: [i64; 2] = [-1001, -1002];

struct World {
    app: TestApp,
    accounts: Vec<Account>,
    bots: Vec<FakeBot>,
    /// Telegram's truth: is bot b administrator in chat c?
    admin: HashMap<(usize, usize), bool>,
    /// (account, tg) -> (record id, created), once made.
    records: HashMap<(usize, i64), (i64, Value)>,
    date: i64,
}

impl World {
    async fn run(&mut self, op: &Op) {
        let api = &self.app.api;
        match *op {
            Op::Add { account, bot } => {
                let answer = api
                    .add_bot(&self.accounts[account].key, &self.bots[bot].token)
                    .await;
                assert!(
                    answer["status"] == "ok" || answer["error"] == "exists",
                    "{answer}"
                );
            }
            Op::Delete { account, bot } => {
                if let Some((id, _)) = self.records.get(&(account, self.bots[bot].id)) {
                    let answer = api
                        .post_json(
                            "/api/bots/del.json",
                            &self.accounts[account].key,
                            json!({ "id": id }),
                        )
                        .await;
                    assert_eq!(answer["status"], "ok");
                }
            }
            Op::Promote { bot, chat } | Op::Demote { bot, chat } => {
                self.date += 1;
                let promote = matches!(op, Op::Promote { .. });
                let chat_ref = SandboxChat {
                    id: CHATS[chat],
                    title: format!("chat {chat}"),
                    kind: "supergroup".into(),
                };
                let by = SandboxUser::new(1, "Owner");
                let event = if promote {
                    SandboxEvent::Promote {
                        chat: chat_ref,
                        by,
                        date: Some(self.date),
                    }
                } else {
                    SandboxEvent::Demote {
                        chat: chat_ref,
                        by,
                        date: Some(self.date),
                    }
                };
                self.app
                    .sandbox
                    .send_event(self.bots[bot].id, &event)
                    .unwrap();
                self.admin.insert((bot, chat), promote);
            }
            Op::CampaignAdd { account, bot, chat } => {
                if let Some((id, _)) = self.records.get(&(account, self.bots[bot].id)) {
                    let answer = api
                        .post_json(
                            "/api/camp/add.json",
                            &self.accounts[account].key,
                            json!({ "bot": id, "chat": CHATS[chat], "welcome": "Hi" }),
                        )
                        .await;
                    assert!(
                        answer["status"] == "ok"
                            || answer["error"] == "bot"
                            || answer["error"] == "chat",
                        "{answer}"
                    );
                }
            }
            Op::CampaignDelete { account, nth } => {
                let list = api
                    .get("/api/camp/list.json", &self.accounts[account].key, &[])
                    .await;
                if let Some(camp) = list["data"].as_array().unwrap().get(nth) {
                    let answer = api
                        .post_json(
                            "/api/camp/del.json",
                            &self.accounts[account].key,
                            json!({ "id": camp["id"] }),
                        )
                        .await;
                    assert_eq!(answer["status"], "ok");
                }
            }
        }
        // Let Telegram's deliveries land before checking.
        for bot in &self.bots {
            let hooked = self.app.sandbox.bot(bot.id).unwrap().webhook.is_some();
            if hooked {
                assert!(
                    self.app
                        .sandbox
                        .wait_delivered(bot.id, Duration::from_secs(10))
                        .await
                );
            }
        }
    }

    async fn check(&mut self) {
        let mut connected: HashMap<i64, usize> = HashMap::new();
        let mut tracked: HashMap<usize, HashSet<i64>> = HashMap::new();
        for (a, account) in self.accounts.iter().enumerate() {
            let bots = self
                .app
                .api
                .get("/api/bots/list.json", &account.key, &[])
                .await;
            let camps = self
                .app
                .api
                .get("/api/camp/list.json", &account.key, &[])
                .await;
            let camps = camps["data"].as_array().unwrap().clone();
            for camp in &camps {
                assert!(
                    tracked
                        .entry(a)
                        .or_default()
                        .insert(camp["chat"].as_i64().unwrap()),
                    "one live campaign per chat and account"
                );
            }
            for row in bots["data"].as_array().unwrap() {
                let (id, tg, status) = (
                    row["id"].as_i64().unwrap(),
                    row["tg"].as_i64().unwrap(),
                    row["status"].as_i64().unwrap(),
                );
                // Ids and created are kept for good.
                match self.records.get(&(a, tg)) {
                    Some((known, created)) => assert_eq!((*known, created), (id, &row["created"])),
                    None => {
                        self.records.insert((a, tg), (id, row["created"].clone()));
                    }
                }
                let b = self.bots.iter().position(|bot| bot.id == tg).unwrap();
                if status == 3 {
                    let chats = self
                        .app
                        .api
                        .get(
                            "/api/bots/chats.json",
                            &account.key,
                            &[("id", &id.to_string())],
                        )
                        .await;
                    assert_eq!(chats["data"], json!([]), "a deleted bot has an empty cache");
                    continue;
                }
                *connected.entry(tg).or_default() += 1;
                // Warning iff a live campaign through this bot tracks a chat
                // where Telegram says the bot is not an administrator.
                let warning = camps.iter().any(|c| {
                    c["bot"] == id && {
                        let chat = CHATS
                            .iter()
                            .position(|x| Some(*x) == c["chat"].as_i64())
                            .unwrap();
                        !self.admin.get(&(b, chat)).copied().unwrap_or(false)
                    }
                });
                assert_eq!(status, if warning { 1 } else { 0 }, "status of bot {id}");
                // The picker offers exactly the admin chats no live campaign tracks.
                let chats = self
                    .app
                    .api
                    .get(
                        "/api/bots/chats.json",
                        &account.key,
                        &[("id", &id.to_string())],
                    )
                    .await;
                let offered: HashSet<i64> = chats["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].as_i64().unwrap())
                    .collect();
                for (c, chat) in CHATS.iter().enumerate() {
                    if offered.contains(chat) {
                        assert!(
                            self.admin.get(&(b, c)).copied().unwrap_or(false),
                            "offered only where admin"
                        );
                        assert!(
                            !tracked.get(&a).is_some_and(|t| t.contains(chat)),
                            "tracked chats are not offered"
                        );
                    }
                }
            }
        }
        assert!(
            connected.values().all(|n| *n <= 1),
            "one connected record per bot: {connected:?}"
        );
        for bot in &self.bots {
            let hooked = self.app.sandbox.bot(bot.id).unwrap().webhook.is_some();
            assert_eq!(
                hooked,
                connected.contains_key(&bot.id),
                "webhook set exactly while connected"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_of_lifecycle_operations_keeps_the_invariants(ops in prop::collection::vec(op(), 1..14)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let app = TestApp::start().await;
            let accounts = vec![app.account().await, app.account().await];
            let bots = vec![app.bot("prop0bot"), app.bot("prop1bot")];
            let mut world = World { app, accounts, bots, admin: HashMap::new(), records: HashMap::new(), date: 1_700_000_000 };
            for op in &ops {
                world.run(op).await;
                world.check().await;
            }
        });
    }
}

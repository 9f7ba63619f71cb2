//! Every sample in `tests/fixtures/telegram-updates/` (real Update payloads
//! from public projects; see its SOURCES.md) is read, and means what it says.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::PathBuf;

use serde_json::Value;
use usher_domain::ChatId;
use usher_domain::intake::{Effect, MemberEventKind, parse_update, wire};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/telegram-updates")
}

/// A whole Update; the samples stored without `update_id` get one, as
/// Telegram always sends it.
fn update(name: &str) -> Vec<u8> {
    let mut value: Value =
        serde_json::from_slice(&std::fs::read(dir().join(name)).unwrap()).unwrap();
    if value.get("update_id").is_none() {
        value["update_id"] = Value::from(1000);
    }
    serde_json::to_vec(&value).unwrap()
}

/// What a sample must mean.
enum Expect {
    Nothing,
    Bot {
        chat: i64,
        admin: bool,
        status: &'static str,
        kind: &'static str,
    },
    Member {
        chat: i64,
        user: i64,
        kind: MemberEventKind,
        actor: Option<i64>,
    },
    Migrated {
        from: i64,
        to: i64,
    },
    Blocked {
        user: i64,
    },
    Start {
        user: i64,
    },
}

fn expectations() -> Vec<(&'static str, &'static str, Expect)> {
    use Expect::*;
    use MemberEventKind as K;
    vec![
        (
            "autogram-my_chat_member-admin_kicked-7.json",
            "my_chat_member",
            Bot {
                chat: -1002352533321,
                admin: false,
                status: "kicked",
                kind: "supergroup",
            },
        ),
        (
            "autogram-my_chat_member-group_add-5.json",
            "my_chat_member",
            Bot {
                chat: -4726613835,
                admin: false,
                status: "member",
                kind: "group",
            },
        ),
        (
            "autogram-my_chat_member-migrated_supergroup-6.json",
            "my_chat_member",
            Bot {
                chat: -1002352533321,
                admin: false,
                status: "member",
                kind: "supergroup",
            },
        ),
        (
            "autogram-my_chat_member-private_block-1.json",
            "my_chat_member",
            Blocked { user: 5342492667 },
        ),
        (
            "autogram-my_chat_member-promoted_admin-3.json",
            "my_chat_member",
            Bot {
                chat: -1002162095988,
                admin: true,
                status: "administrator",
                kind: "supergroup",
            },
        ),
        (
            "autogram-my_chat_member-restricted-4.json",
            "my_chat_member",
            Bot {
                chat: -1002162095988,
                admin: false,
                status: "restricted",
                kind: "supergroup",
            },
        ),
        (
            "autogram-my_chat_member-supergroup_add-2.json",
            "my_chat_member",
            Bot {
                chat: -1002162095988,
                admin: false,
                status: "member",
                kind: "supergroup",
            },
        ),
        ("calcalc-message-group-1.json", "message", Nothing),
        (
            "calcalc-my_chat_member-channel_admin-1.json",
            "my_chat_member",
            Bot {
                chat: -1001579743247,
                admin: true,
                status: "administrator",
                kind: "channel",
            },
        ),
        (
            "calcalc-my_chat_member-private_block-2.json",
            "my_chat_member",
            Blocked { user: 2147423284 },
        ),
        ("nutgram-channel_post-1.json", "channel_post", Nothing),
        (
            "nutgram-chat_join_request-1.json",
            "chat_join_request",
            Member {
                chat: 987654321,
                user: 123456789,
                kind: K::JoinRequest,
                actor: None,
            },
        ),
        (
            "nutgram-chat_member-1.json",
            "chat_member",
            Member {
                chat: 987654321,
                user: 123456789,
                kind: K::Changed,
                actor: None,
            },
        ),
        ("nutgram-guest_message-1.json", "guest_message", Nothing),
        ("nutgram-managed_bot-1.json", "managed_bot", Nothing),
        (
            "rubenlagus-message-left_chat_member-1.json",
            "message",
            Nothing,
        ),
        // Anonymised so that the chat id equals migrate_from_chat_id: no move.
        (
            "rubenlagus-message-migrate_from_chat_id-1.json",
            "message",
            Nothing,
        ),
        (
            "rubenlagus-message-new_chat_members-1.json",
            "message",
            Nothing,
        ),
        ("rubenlagus-multi_kind-1.json", "message", Nothing),
        (
            "silencer-chat_member-channel_join-1.json",
            "chat_member",
            Member {
                chat: -1001743416957,
                user: 1868349823,
                kind: K::Join,
                actor: None,
            },
        ),
        ("silencer-message-group-1.json", "message", Nothing),
        (
            "silencer-message-new_chat_members-1.json",
            "message",
            Nothing,
        ),
        ("telegram-docs-message-1.json", "message", Nothing),
        (
            "telegram-docs-message-2.json",
            "message",
            Start { user: 1111111 },
        ),
        (
            "telegram4j-message-migrate_from_chat_id-1.json",
            "message",
            Migrated {
                from: -567859824,
                to: -1001538393672,
            },
        ),
        (
            "telegram4j-message-migrate_to_chat_id-1.json",
            "message",
            Migrated {
                from: -567859824,
                to: -1001538393672,
            },
        ),
        (
            "telegram4j-my_chat_member-1.json",
            "my_chat_member",
            Bot {
                chat: -1001538393672,
                admin: false,
                status: "member",
                kind: "supergroup",
            },
        ),
        (
            "telegram4j-my_chat_member-2.json",
            "my_chat_member",
            Bot {
                chat: -1001538393672,
                admin: true,
                status: "administrator",
                kind: "supergroup",
            },
        ),
        (
            "telegrambot-dotnet-chat_member-1.json",
            "chat_member",
            Member {
                chat: 1234567,
                user: 12345,
                kind: K::Kicked,
                actor: Some(1234567),
            },
        ),
        (
            "teleiq-chat_member-unknown_status-1.json",
            "chat_member",
            Member {
                chat: -100,
                user: 3,
                kind: K::Changed,
                actor: Some(2),
            },
        ),
        ("teloxide-message-1.json", "message", Nothing),
        ("teloxide-message-2.json", "message", Nothing),
        ("teloxide-message-3.json", "message", Nothing),
        (
            "teloxide-my_chat_member-1.json",
            "my_chat_member",
            Blocked { user: 0 },
        ),
        ("teloxide-unknown_kind-1.json", "new_update_kind", Nothing),
    ]
}

const FRAGMENTS: &[&str] = &[
    "ptba-chatjoinrequest_fragment-1.json",
    "ptba-chatmemberupdated_fragment-1.json",
    "ptba-chatmemberupdated_fragment-2.json",
    "teloxide-chatmember_fragment-administrator-1.json",
];

#[test]
fn every_sample_is_covered_here() {
    let listed: Vec<&str> = expectations()
        .iter()
        .map(|(f, _, _)| *f)
        .chain(FRAGMENTS.iter().copied())
        .collect();
    for entry in std::fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".json") {
            assert!(listed.contains(&name.as_str()), "{name} has no expectation");
        }
    }
}

#[test]
fn every_whole_update_is_read_with_its_meaning() {
    for (file, kind, expect) in expectations() {
        let parsed = parse_update(&update(file)).unwrap_or_else(|_| panic!("{file} refused"));
        assert_eq!(parsed.kind, kind, "{file}");
        match (expect, &parsed.effect) {
            (Expect::Nothing, Effect::None) => {}
            (
                Expect::Bot {
                    chat,
                    admin,
                    status,
                    kind,
                },
                Effect::BotMembership(m),
            ) => {
                assert_eq!(m.chat.id, ChatId(chat), "{file}");
                assert_eq!(m.is_admin, admin, "{file}");
                assert_eq!(m.status, status, "{file}");
                assert_eq!(m.chat.kind, kind, "{file}");
                assert!(!m.chat.title.is_empty(), "{file}");
                assert_eq!(m.member["status"], status, "{file} keeps the rights object");
            }
            (
                Expect::Member {
                    chat,
                    user,
                    kind,
                    actor,
                },
                Effect::Member(e),
            ) => {
                assert_eq!(e.chat.id, ChatId(chat), "{file}");
                assert_eq!(e.user.id, user, "{file}");
                assert_eq!(e.kind, kind, "{file}");
                assert_eq!(e.actor, actor, "{file}");
            }
            (Expect::Migrated { from, to }, Effect::ChatMigrated { from: f, to: t }) => {
                assert_eq!((*f, *t), (ChatId(from), ChatId(to)), "{file}");
            }
            (Expect::Blocked { user }, Effect::Blocked { user: u, .. }) => {
                assert_eq!(u.id, user, "{file}");
            }
            (Expect::Start { user }, Effect::Start(start)) => {
                assert_eq!(start.user.id, user, "{file}");
                assert_eq!(
                    start.payload, None,
                    "{file}: /start alone names no campaign"
                );
            }
            (_, effect) => panic!("{file}: unexpected {effect:?}"),
        }
    }
}

#[test]
fn the_bare_fragments_are_read_by_the_matching_inner_type() {
    let read = |name: &str| std::fs::read(dir().join(name)).unwrap();
    let request: wire::ChatJoinRequest = serde_json::from_slice(&read(FRAGMENTS[0])).unwrap();
    assert!(request.invite_link.is_some());
    assert!(request.bio.is_some());
    let joined: wire::ChatMemberUpdated = serde_json::from_slice(&read(FRAGMENTS[1])).unwrap();
    assert_eq!(joined.via_join_request, Some(true));
    assert!(joined.invite_link.is_some());
    let left: wire::ChatMemberUpdated = serde_json::from_slice(&read(FRAGMENTS[2])).unwrap();
    assert_eq!(left.new_chat_member.in_chat(), Some(false));
    assert_ne!(
        left.from.id, left.new_chat_member.user.id,
        "done by another user"
    );
    let admin: wire::ChatMember = serde_json::from_slice(&read(FRAGMENTS[3])).unwrap();
    assert!(admin.is_admin());
}

#[test]
fn bodies_that_are_not_updates_are_refused() {
    for body in [
        &b""[..],
        b"[]",
        b"{}",
        b"{\"update_id\":\"7\"}",
        b"{\"update_id\":1.5}",
        b"null",
        b"{\"message\":{}}",
    ] {
        assert!(
            parse_update(body).is_err(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let bare = parse_update(b"{\"update_id\":5}").unwrap();
    assert_eq!(
        (bare.update_id, bare.kind.as_str(), bare.effect),
        (5, "empty", Effect::None)
    );
}

#[test]
fn a_known_kind_with_a_broken_body_is_kept_not_refused() {
    let parsed = parse_update(br#"{"update_id":9,"my_chat_member":{"chat":"nope"}}"#).unwrap();
    assert_eq!(parsed.kind, "my_chat_member");
    assert_eq!(parsed.effect, Effect::None);
}

#[test]
fn a_deep_link_start_names_its_campaign_and_click() {
    let body = br#"{"update_id": 7, "message": {"message_id": 3, "date": 1796000000,
        "from": {"id": 42, "is_bot": false, "first_name": "Ann", "username": "ann"},
        "chat": {"id": 42, "first_name": "Ann", "username": "ann", "type": "private"},
        "text": "/start Ab12Cd34-click-1", "entities": [{"offset": 0, "length": 6, "type": "bot_command"}]}}"#;
    let Effect::Start(start) = parse_update(body).unwrap().effect else {
        panic!("not a start");
    };
    assert_eq!(start.user.id, 42);
    assert_eq!(start.user.username.as_deref(), Some("ann"));
    let payload = start.payload.unwrap();
    assert_eq!(
        (payload.code.as_str(), payload.click.as_str()),
        ("Ab12Cd34", "click-1")
    );
    // Other private messages and group /start commands are nothing to the flow.
    let hello = br#"{"update_id": 8, "message": {"message_id": 4, "date": 1796000000,
        "from": {"id": 42, "is_bot": false, "first_name": "Ann"},
        "chat": {"id": 42, "type": "private"}, "text": "hello"}}"#;
    assert_eq!(parse_update(hello).unwrap().effect, Effect::None);
    let group = br#"{"update_id": 9, "message": {"message_id": 5, "date": 1796000000,
        "from": {"id": 42, "is_bot": false, "first_name": "Ann"},
        "chat": {"id": -5, "type": "group", "title": "G"}, "text": "/start Ab12Cd34"}}"#;
    assert_eq!(parse_update(group).unwrap().effect, Effect::None);
}

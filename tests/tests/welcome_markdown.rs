//! The domain's check of a welcome's legacy Markdown agrees with the
//! sandbox's parser (a port of Telegram's own) on thousands of random
//! texts, and welcomes rendered with hostile macro values still parse.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use usher_domain::subscribers::markdown;
use usher_sandbox::{SandboxEvent, SandboxHandle, SandboxOptions, SandboxUser, start};

/// Texts of the characters that matter, with letters and spaces between.
fn random_text(rng: &mut StdRng, alphabet: &[char]) -> String {
    let len = rng.gen_range(1..14);
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
        .collect()
}

struct Telegram {
    sb: SandboxHandle,
    token: String,
    http: reqwest::Client,
}

impl Telegram {
    async fn new() -> Self {
        let sb = start(SandboxOptions {
            send_rate: 1_000_000,
            ..SandboxOptions::default()
        })
        .await
        .unwrap();
        let bot = sb.create_bot("mdbot", "Md", None);
        sb.send_event(
            bot.id,
            &SandboxEvent::Start {
                user: SandboxUser::new(42, "Ann"),
                payload: None,
                date: None,
            },
        );
        Self {
            sb,
            token: bot.token,
            http: reqwest::Client::new(),
        }
    }

    /// Telegram's answer to `text` in legacy Markdown.
    async fn send(&self, text: &str) -> Value {
        self.http
            .post(format!(
                "{}/bot{}/sendMessage",
                self.sb.api_url(),
                self.token
            ))
            .json(&json!({ "chat_id": 42, "text": text, "parse_mode": "Markdown" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_domain_refuses_exactly_what_telegram_refuses() {
    let telegram = Telegram::new().await;
    let mut rng = StdRng::seed_from_u64(20261201);
    let alphabet = ['a', 'b', ' ', '_', '*', '`', '[', ']', '(', ')', '\\', 'é'];
    let mut refused = 0;
    for _ in 0..1500 {
        let text = random_text(&mut rng, &alphabet);
        let answer = telegram.send(&text).await;
        let domain = markdown::check(&text);
        assert_eq!(
            domain.is_ok(),
            answer["ok"] == true,
            "{text:?}: domain {domain:?}, Telegram {answer}"
        );
        if let Err(markdown::MarkdownError::Unclosed(offset)) = domain {
            refused += 1;
            let description = answer["description"].as_str().unwrap();
            assert!(
                description.ends_with(&format!("byte offset {offset}")),
                "{text:?}: {description}"
            );
        }
    }
    assert!(refused > 100, "the texts exercise refusals ({refused})");
}

#[tokio::test(flavor = "multi_thread")]
async fn rendered_welcomes_parse_whatever_the_values() {
    let telegram = Telegram::new().await;
    let mut rng = StdRng::seed_from_u64(7);
    let alphabet = ['a', ' ', '_', '*', '`', '[', ']', '(', ')', '\\', '{', '}'];
    let templates = [
        "Hi {name}, welcome to {title}!",
        "*{name}* _{title}_ `{click}`",
        "[{name}](https://t.me/x?c={click}) ```{title}```",
        r"my\_channel {campaign} *bold {name}*",
    ];
    for _ in 0..300 {
        let template = templates[rng.gen_range(0..templates.len())];
        let name = random_text(&mut rng, &alphabet);
        let title = random_text(&mut rng, &alphabet);
        let click = random_text(&mut rng, &alphabet);
        let text = markdown::render(
            template,
            &[
                ("{name}", &name),
                ("{title}", &title),
                ("{campaign}", "Ab12Cd34"),
                ("{click}", &click),
            ],
        );
        let answer = telegram.send(&text).await;
        assert_eq!(
            answer["ok"], true,
            "{template} with {name:?} {title:?} {click:?}: {text:?} {answer}"
        );
    }
}

/// What the domain accepts at save, filled with the longest macro values
/// it allows for, Telegram takes; one unit more it refuses at save.
#[tokio::test(flavor = "multi_thread")]
async fn a_welcome_accepted_at_save_can_be_sent_whatever_its_macros_hold() {
    use usher_domain::campaign::{WELCOME_MACRO_MAX_UNITS, welcome_ok};
    let telegram = Telegram::new().await;
    let longest = |name: &str| {
        let units = WELCOME_MACRO_MAX_UNITS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1;
        // Emoji: two UTF-16 units each, the worst a name or title can be.
        "\u{1F600}".repeat(units / 2)
    };
    let fill = |template: &str| {
        markdown::render(
            template,
            &[
                ("{name}", &longest("{name}")),
                ("{title}", &longest("{title}")),
                ("{campaign}", "Ab12Cd34"),
                ("{click}", &"c".repeat(55)),
            ],
        )
    };
    let emoji = |n: usize| "\u{1F600}".repeat(n);
    for (template, accepted) in [
        (emoji(2048), true),
        (emoji(2049), false),
        (emoji(4096), false),
        (format!("*{}* {{name}}", emoji(1983)), true),
        (format!("*{}* {{name}}", emoji(1984)), false),
        (
            format!("{}{{title}}{{campaign}}{{click}}", "a".repeat(3777)),
            true,
        ),
        (
            format!("{}{{title}}{{campaign}}{{click}}", "a".repeat(3778)),
            false,
        ),
    ] {
        assert_eq!(welcome_ok(&template), accepted, "{}", template.len());
        let answer = telegram.send(&fill(&template)).await;
        assert_eq!(
            answer["ok"] == true,
            accepted,
            "Telegram agrees with the check at save: {answer}"
        );
    }
}

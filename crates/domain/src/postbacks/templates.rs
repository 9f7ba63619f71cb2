//! Postback templates (`subscribers.md`, "Postbacks"): the five of a
//! campaign and the five global ones of an account, which set applies, what
//! a valid template is, and how its macros are filled.

use std::net::IpAddr;

use url::{Host, Url};

use super::address::is_blocked;
use crate::given::Given;
use crate::subscribers::LeadStatus;
use crate::text::{fill, http_url_ok, percent_encode};

/// The longest template, in bytes.
pub const TEMPLATE_MAX: usize = 2048;

/// Five templates, one per lead status (`pb_wait` ... `pb_trash`); `""`
/// sends nothing for that status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Templates(pub [String; 5]);

impl Templates {
    /// The parameter name of each status's template, by status code.
    pub const NAMES: [&'static str; 5] =
        ["pb_wait", "pb_hold", "pb_approve", "pb_cancel", "pb_trash"];

    /// The template of `status`.
    pub fn of(&self, status: LeadStatus) -> &str {
        &self.0[status.code() as usize]
    }

    /// Whether all five are empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(String::is_empty)
    }

    /// The set that applies to a campaign: its own unless all five are
    /// empty, then the account's. All or nothing: a campaign with any
    /// template set uses its own set as is.
    pub fn effective<'a>(campaign: &'a Templates, global: &'a Templates) -> &'a Templates {
        if campaign.is_empty() {
            global
        } else {
            campaign
        }
    }

    /// `self` with the given templates applied (omitted ones stay, `""`
    /// clears), each checked by [`template_ok`]; `Err` for any bad one.
    pub fn with(
        &self,
        given: &[Given<&str>; 5],
        allow_private: bool,
    ) -> Result<Templates, BadTemplate> {
        let mut next = self.clone();
        for (slot, given) in next.0.iter_mut().zip(given) {
            match given {
                Given::Absent => {}
                Given::Value(url) if url.is_empty() || template_ok(url, allow_private) => {
                    *slot = (*url).to_owned();
                }
                _ => return Err(BadTemplate),
            }
        }
        Ok(next)
    }
}

/// A template that is not a valid postback URL (`postback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadTemplate;

/// Whether `template` is a postback URL usher takes: http or https with a
/// host, at most 2048 characters, and (unless `allow_private`) its host not
/// an IP address in a blocked range. A host that is a name is checked when
/// the postback is sent, against what it resolves to then.
pub fn template_ok(template: &str, allow_private: bool) -> bool {
    if !http_url_ok(template, TEMPLATE_MAX) {
        return false;
    }
    let Ok(parsed) = Url::parse(template) else {
        return false;
    };
    parsed.host().is_some() && (allow_private || !literal_ip(&parsed).is_some_and(is_blocked))
}

/// The host of `url` when it is an IP address (in any spelling the URL
/// standard reads as one: `127.1`, `2130706433`, `[::ffff:7f00:1]`).
pub fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        Host::Domain(_) => None,
    }
}

/// The values of the postback macros for one status change of one lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostbackMacros {
    /// `{click}`: the lead's click.
    pub click: String,
    /// `{status}`: the status name reported.
    pub status: LeadStatus,
    /// `{campaign}`: the campaign's code.
    pub campaign: String,
    /// `{user}`: the account id.
    pub account: i64,
    /// `{lead}`: the lead id.
    pub lead: i64,
    /// `{subscriber}`: the person's Telegram user id.
    pub subscriber: i64,
    /// `{username}`: their username, `""` if none.
    pub username: String,
    /// `{chat}`: the tracked chat's Telegram id.
    pub chat: i64,
    /// `{time}`: Unix seconds of the event.
    pub time: i64,
}

impl PostbackMacros {
    /// `template` with every known macro filled, percent-encoded; unknown
    /// macros stay as written.
    pub fn fill(&self, template: &str) -> String {
        let values: Vec<(&str, String)> = [
            ("{click}", self.click.clone()),
            ("{status}", self.status.name().to_owned()),
            ("{campaign}", self.campaign.clone()),
            ("{user}", self.account.to_string()),
            ("{lead}", self.lead.to_string()),
            ("{subscriber}", self.subscriber.to_string()),
            ("{username}", self.username.clone()),
            ("{chat}", self.chat.to_string()),
            ("{time}", self.time.to_string()),
        ]
        .into_iter()
        .map(|(name, value)| (name, percent_encode(&value)))
        .collect();
        fill(template, &values)
    }
}

/// The `host[:port]` a filled URL connects to, lower-cased: the key of the
/// per-target concurrency limit. `""` if it does not parse.
pub fn target_of(url: &str) -> String {
    let Ok(parsed) = Url::parse(url) else {
        return String::new();
    };
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    match parsed.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(urls: [&str; 5]) -> Templates {
        Templates(urls.map(str::to_owned))
    }

    #[test]
    fn a_campaign_with_any_template_uses_its_own_set_as_is() {
        let global = set(["https://g/w", "https://g/h", "https://g/a", "", ""]);
        let none = Templates::default();
        assert_eq!(Templates::effective(&none, &global), &global);
        let own = set(["", "", "https://c/a", "", ""]);
        let chosen = Templates::effective(&own, &global);
        assert_eq!(chosen.of(LeadStatus::Approve), "https://c/a");
        assert_eq!(
            chosen.of(LeadStatus::Wait),
            "",
            "an empty one silences its status"
        );
    }

    #[test]
    fn templates_are_http_urls_with_a_host_and_no_blocked_ip() {
        assert!(template_ok(
            "https://t.example/pb?subid={click}&s={status}",
            false
        ));
        assert!(template_ok("http://8.8.8.8/pb", false));
        assert!(
            template_ok("http://localhost:9/pb", false),
            "names are checked at send time"
        );
        for bad in [
            "ftp://t.example/",
            "https://",
            "t.example/pb",
            "https://a b/",
            "http://127.0.0.1/pb",
            "http://127.1/pb",
            "http://2130706433/pb",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
        ] {
            assert!(!template_ok(bad, false), "{bad}");
        }
        assert!(template_ok("http://127.0.0.1:8080/pb", true));
        assert!(!template_ok(
            &format!("https://t.example/{}", "a".repeat(2048)),
            false
        ));
    }

    #[test]
    fn given_templates_replace_clear_or_stay() {
        let current = set(["https://a/", "https://b/", "", "", ""]);
        let given = [
            Given::Value(""),
            Given::Absent,
            Given::Value("https://c/"),
            Given::Absent,
            Given::Absent,
        ];
        assert_eq!(
            current.with(&given, false),
            Ok(set(["", "https://b/", "https://c/", "", ""]))
        );
        let bad = [
            Given::Invalid,
            Given::Absent,
            Given::Absent,
            Given::Absent,
            Given::Absent,
        ];
        assert_eq!(current.with(&bad, false), Err(BadTemplate));
        let blocked = [
            Given::Value("http://10.1.1.1/"),
            Given::Absent,
            Given::Absent,
            Given::Absent,
            Given::Absent,
        ];
        assert_eq!(current.with(&blocked, false), Err(BadTemplate));
    }

    #[test]
    fn macros_are_percent_encoded_and_unknown_ones_stay() {
        let macros = PostbackMacros {
            click: "a b&c#d".into(),
            status: LeadStatus::Approve,
            campaign: "Ab12Cd34".into(),
            account: 7,
            lead: 9,
            subscriber: 42,
            username: "Аня".into(),
            chat: -100,
            time: 1_700_000_000,
        };
        assert_eq!(
            macros.fill(
                "https://t/pb?c={click}&s={status}&k={campaign}&u={user}&l={lead}&p={subscriber}&n={username}&h={chat}&t={time}&x={nope}"
            ),
            "https://t/pb?c=a%20b%26c%23d&s=approve&k=Ab12Cd34&u=7&l=9&p=42&n=%D0%90%D0%BD%D1%8F&h=-100&t=1700000000&x={nope}"
        );
    }

    #[test]
    fn the_target_is_the_host_and_port() {
        assert_eq!(target_of("https://T.Example/pb"), "t.example:443");
        assert_eq!(target_of("http://t.example:8080/pb"), "t.example:8080");
        assert_eq!(target_of("http://127.0.0.1:9/"), "127.0.0.1:9");
        assert_eq!(target_of("nonsense"), "");
    }
}

//! The SSRF guard of the postback client with names resolved by a scripted
//! resolver: every blocked address family refused without a connection, a
//! name that answers differently the second time never reaching what it
//! answered second, and the connection going to the checked address.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::VecDeque;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use usher_app::postback_client::{NameLookup, PostbackClient};
use usher_domain::postbacks::Attempt;
use usher_tests::{Reply, Tracker};

/// Answers each lookup with the next list of addresses (the last one
/// again once the script runs out), counting the lookups.
struct Scripted {
    answers: Mutex<VecDeque<Vec<IpAddr>>>,
    asked: Mutex<Vec<String>>,
}

impl Scripted {
    fn new(answers: &[&[&str]]) -> Arc<Self> {
        Arc::new(Self {
            answers: Mutex::new(
                answers
                    .iter()
                    .map(|ips| ips.iter().map(|ip| ip.parse().unwrap()).collect())
                    .collect(),
            ),
            asked: Mutex::new(Vec::new()),
        })
    }
}

impl NameLookup for Scripted {
    fn lookup(
        &self,
        host: String,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>> {
        self.asked.lock().unwrap().push(host);
        let mut answers = self.answers.lock().unwrap();
        let next = if answers.len() > 1 {
            answers.pop_front().unwrap()
        } else {
            answers.front().cloned().unwrap_or_default()
        };
        Box::pin(async move { Ok(next) })
    }
}

fn port(tracker: &Tracker) -> u16 {
    tracker.base.rsplit(':').next().unwrap().parse().unwrap()
}

fn client(lookup: Arc<Scripted>, allow_private: bool) -> PostbackClient {
    PostbackClient::with_lookup(Duration::from_secs(2), allow_private, lookup).unwrap()
}

#[tokio::test]
async fn a_name_resolving_to_any_blocked_address_is_refused_without_a_connection() {
    let tracker = Tracker::start(Reply::status(200));
    let v6 = Tracker::start_on("[::1]:0", Reply::status(200));
    let url = format!("http://tracker.test:{}/pb", port(&tracker));
    for answer in [
        &["127.0.0.1"][..],
        &["::1"],
        &["10.0.0.7"],
        &["172.20.1.1"],
        &["192.168.7.7"],
        &["100.100.100.200"],
        &["169.254.169.254"],
        &["fd00:ec2::254"],
        &["fe80::1"],
        &["::ffff:127.0.0.1"],
        &["::ffff:169.254.169.254"],
        &["0.0.0.0"],
        &["224.0.0.251"],
        // One bad address among good ones is enough.
        &["93.184.215.14", "127.0.0.1"],
    ] {
        let lookup = Scripted::new(&[answer]);
        let attempt = client(lookup.clone(), false).get(&url).await;
        assert!(
            matches!(&attempt, Attempt::Blocked(why) if why.contains("blocked address")),
            "{answer:?}: {attempt:?}"
        );
        assert_eq!(lookup.asked.lock().unwrap().as_slice(), ["tracker.test"]);
    }
    if let Some(v6) = &v6 {
        let attempt = client(Scripted::new(&[&["::1"]]), false)
            .get(&format!("http://tracker.test:{}/pb", port(v6)))
            .await;
        assert!(matches!(attempt, Attempt::Blocked(_)), "{attempt:?}");
        assert!(v6.hits().is_empty());
    }
    assert!(tracker.hits().is_empty(), "no request reached loopback");
}

#[tokio::test]
async fn addresses_written_in_the_url_are_checked_too() {
    let tracker = Tracker::start(Reply::status(200));
    let p = port(&tracker);
    let lookup = Scripted::new(&[&[]]);
    for host in [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f.0.0.1",
        "[::1]",
        "[::ffff:7f00:1]",
        "169.254.169.254",
    ] {
        let attempt = client(lookup.clone(), false)
            .get(&format!("http://{host}:{p}/pb"))
            .await;
        assert!(
            matches!(attempt, Attempt::Blocked(_)),
            "{host}: {attempt:?}"
        );
    }
    assert!(tracker.hits().is_empty());
    assert!(
        lookup.asked.lock().unwrap().is_empty(),
        "no lookup for an address"
    );
}

#[tokio::test]
async fn a_name_that_answers_differently_the_second_time_does_not_get_through() {
    let tracker = Tracker::start(Reply::status(200));
    let url = format!("http://rebind.test:{}/pb", port(&tracker));
    // A public address beside loopback, then loopback alone: a guard that
    // let any answer through, or checked one answer and connected by
    // another lookup, would reach the tracker. (No test connects to a
    // public address: traffic stays on this machine.)
    let lookup = Scripted::new(&[&["8.8.8.8", "127.0.0.1"], &["127.0.0.1"]]);
    let client =
        PostbackClient::with_lookup(Duration::from_millis(500), false, lookup.clone()).unwrap();
    let first = client.get(&url).await;
    assert!(
        matches!(first, Attempt::Blocked(_)),
        "one blocked answer refuses the name: {first:?}"
    );
    assert_eq!(
        lookup.asked.lock().unwrap().len(),
        1,
        "one lookup per connection"
    );
    let second = client.get(&url).await;
    assert!(matches!(second, Attempt::Blocked(_)), "{second:?}");
    assert!(tracker.hits().is_empty(), "loopback was never reached");
}

#[tokio::test]
async fn the_connection_goes_to_the_address_that_was_checked() {
    // With private addresses allowed, a name only the scripted resolver
    // knows reaches the tracker: reqwest connected to what was resolved
    // and checked, not to a resolution of its own.
    let tracker = Tracker::start(Reply::status(204));
    let lookup = Scripted::new(&[&["127.0.0.1"]]);
    let attempt = client(lookup, true)
        .get(&format!("http://only-here.test:{}/pb?x=1", port(&tracker)))
        .await;
    assert_eq!(
        attempt,
        Attempt::Answered {
            code: 204,
            retry_after: None
        }
    );
    let hits = tracker.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].uri, "/pb?x=1");
}

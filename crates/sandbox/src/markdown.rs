//! Telegram's two Markdown parse modes, ported from TDLib
//! (`td/telegram/MessageEntity.cpp`: `parse_markdown`, `parse_markdown_v2`),
//! so that the sandbox refuses exactly the texts Telegram refuses, with
//! the same error text, and answers the same entities (UTF-16 offsets).

use serde_json::{Value, json};

/// A text with its markup removed and the entities it described.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    /// The text as the message shows it.
    pub text: String,
    /// Bot API `MessageEntity` objects, sorted by offset.
    pub entities: Vec<Value>,
}

/// Byte `i` of `text`, or 0 past its end (TDLib reads the terminating NUL).
fn at(text: &[u8], i: usize) -> u8 {
    text.get(i).copied().unwrap_or(0)
}

fn is_first_code_unit(c: u8) -> bool {
    (c & 0xC0) != 0x80
}

/// UTF-16 units that the UTF-8 character starting with `c` takes.
fn utf16_units(c: u8) -> i64 {
    if c >= 0xF0 { 2 } else { 1 }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C)
}

/// After an opening ```` ``` ```` whose content starts at `i`: the
/// language written right after it (up to a space or a backtick, if any
/// content follows), then one line break skipped, as both of TDLib's
/// parsers do. Returns where the content starts and the language.
fn pre_opening(text: &[u8], mut i: usize) -> (usize, String) {
    let size = text.len();
    let mut language = String::new();
    let mut language_end = i;
    while language_end < size && !is_space(text[language_end]) && text[language_end] != b'`' {
        language_end += 1;
    }
    if i != language_end && language_end < size && text[language_end] != b'`' {
        language = String::from_utf8_lossy(&text[i..language_end]).into_owned();
        i = language_end;
    }
    let (a, b) = (at(text, i), at(text, i + 1));
    if a == b'\n' || a == b'\r' {
        i += if (b == b'\n' || b == b'\r') && a != b {
            2
        } else {
            1
        };
    }
    (i, language)
}

fn entity(kind: &str, offset: i64, length: i64) -> Value {
    json!({ "offset": offset, "length": length, "type": kind })
}

/// TDLib's `LinkManager::get_checked_link` for http(s) and tg links: the
/// normalized URL, or `None` where Telegram drops the link.
pub(crate) fn checked_link(link: &str) -> Option<String> {
    let link = link.trim();
    if link.is_empty() {
        return None;
    }
    let lower = link.to_ascii_lowercase();
    if lower.starts_with("tg:") {
        return Some(link.to_owned());
    }
    let full = if lower.contains("://") {
        link.to_owned()
    } else {
        format!("http://{link}")
    };
    let url = url::Url::parse(&full).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    match url.host()? {
        url::Host::Domain(host) if !host.contains('.') => None,
        _ => Some(url.to_string()),
    }
}

fn link_entity(url: &str, offset: i64, length: i64) -> Option<Value> {
    let url = checked_link(url)?;
    if url.to_ascii_lowercase().starts_with("tg://user?id=") {
        // A mention by id needs a user the sandbox may not know: dropped.
        return None;
    }
    let mut e = entity("text_link", offset, length);
    e["url"] = json!(url);
    Some(e)
}

/// Legacy `Markdown`: `*bold*`, `_italic_`, `` `code` ``, ```` ```pre``` ````,
/// `[text](url)`, with `\` escaping those four characters.
pub(crate) fn parse_markdown(source: &str) -> Result<Parsed, String> {
    let text = source.as_bytes();
    let size = text.len();
    let mut out: Vec<u8> = Vec::with_capacity(size);
    let mut entities = Vec::new();
    let mut utf16: i64 = 0;
    let mut i = 0;
    while i < size {
        let c = text[i];
        if c == b'\\' && matches!(at(text, i + 1), b'_' | b'*' | b'`' | b'[') {
            i += 1;
            out.push(text[i]);
            utf16 += 1;
            i += 1;
            continue;
        }
        if !matches!(c, b'_' | b'*' | b'`' | b'[') {
            if is_first_code_unit(c) {
                utf16 += utf16_units(c);
            }
            out.push(c);
            i += 1;
            continue;
        }
        let begin = i;
        let end_char = if c == b'[' { b']' } else { c };
        let mut is_pre = false;
        let mut language = String::new();
        i += 1;
        if c == b'`' && at(text, i) == b'`' && at(text, i + 1) == b'`' {
            is_pre = true;
            (i, language) = pre_opening(text, i + 2);
        }
        let entity_offset = utf16;
        while i < size
            && (text[i] != end_char
                || (is_pre && !(at(text, i + 1) == b'`' && at(text, i + 2) == b'`')))
        {
            if is_first_code_unit(text[i]) {
                utf16 += utf16_units(text[i]);
            }
            out.push(text[i]);
            i += 1;
        }
        if i >= size {
            return Err(format!(
                "Can't find end of the entity starting at byte offset {begin}"
            ));
        }
        if entity_offset != utf16 {
            let length = utf16 - entity_offset;
            match c {
                b'_' => entities.push(entity("italic", entity_offset, length)),
                b'*' => entities.push(entity("bold", entity_offset, length)),
                b'[' => {
                    let url = if at(text, i + 1) != b'(' {
                        String::from_utf8_lossy(&text[begin + 1..i]).into_owned()
                    } else {
                        i += 2;
                        let start = i;
                        while i < size && text[i] != b')' {
                            i += 1;
                        }
                        String::from_utf8_lossy(&text[start..i.min(size)]).into_owned()
                    };
                    entities.extend(link_entity(&url, entity_offset, length));
                }
                _ if is_pre => {
                    let mut e = entity("pre", entity_offset, length);
                    if !language.is_empty() {
                        e["language"] = json!(language);
                    }
                    entities.push(e);
                }
                _ => entities.push(entity("code", entity_offset, length)),
            }
        }
        if is_pre {
            i += 2;
        }
        i += 1;
    }
    finish(out, entities)
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Bold,
    Italic,
    Underline,
    Strikethrough,
    Spoiler,
    Code,
    Pre,
    TextUrl,
    CustomEmoji,
    BlockQuote,
}

impl Kind {
    /// TDLib's name for the kind, used in its error texts.
    fn tdlib_name(self) -> &'static str {
        match self {
            Kind::Bold => "Bold",
            Kind::Italic => "Italic",
            Kind::Underline => "Underline",
            Kind::Strikethrough => "Strikethrough",
            Kind::Spoiler => "Spoiler",
            Kind::Code => "Code",
            Kind::Pre => "Pre",
            Kind::TextUrl => "TextUrl",
            Kind::CustomEmoji => "CustomEmoji",
            Kind::BlockQuote => "BlockQuote",
        }
    }

    fn api_name(self) -> &'static str {
        match self {
            Kind::Bold => "bold",
            Kind::Italic => "italic",
            Kind::Underline => "underline",
            Kind::Strikethrough => "strikethrough",
            Kind::Spoiler => "spoiler",
            Kind::Code => "code",
            Kind::Pre => "pre",
            Kind::TextUrl => "text_link",
            Kind::CustomEmoji => "custom_emoji",
            Kind::BlockQuote => "blockquote",
        }
    }
}

struct Open {
    kind: Kind,
    language: String,
    offset: i64,
    byte_offset: usize,
    begin_pos: usize,
}

fn reserved(c: u8) -> String {
    format!(
        "Character '{}' is reserved and must be escaped with the preceding '\\'",
        c as char
    )
}

fn unclosed(open: &Open) -> String {
    format!(
        "Can't find end of {} entity at byte offset {}",
        open.kind.tdlib_name(),
        open.byte_offset
    )
}

/// `MarkdownV2`: nested entities, every reserved character escaped.
pub(crate) fn parse_markdown_v2(source: &str) -> Result<Parsed, String> {
    let text = source.as_bytes();
    let size = text.len();
    let mut out: Vec<u8> = Vec::with_capacity(size);
    let mut entities = Vec::new();
    let mut utf16: i64 = 0;
    let mut stack: Vec<Open> = Vec::new();
    let mut have_blockquote = false;
    let mut can_start_blockquote = true;
    let mut i = 0;
    while i < size {
        let c = text[i];
        let next = at(text, i + 1);
        if c == b'\\' && next > 0 && next <= 126 {
            i += 1;
            utf16 += 1;
            out.push(text[i]);
            if text[i] != b'\r' {
                can_start_blockquote = text[i] == b'\n';
            }
            i += 1;
            continue;
        }
        let in_code = stack
            .last()
            .is_some_and(|o| matches!(o.kind, Kind::Code | Kind::Pre));
        let is_reserved = if in_code {
            c == b'`'
        } else {
            b"_*[]()~`>#+-=|{}.!\n".contains(&c)
        };
        if !is_reserved {
            if is_first_code_unit(c) {
                utf16 += utf16_units(c);
                if c != b'\r' {
                    can_start_blockquote = false;
                }
            }
            out.push(c);
            i += 1;
            continue;
        }
        let is_end = match stack.last() {
            None => false,
            Some(_) if have_blockquote && c == b'\n' && at(text, i + 1) != b'>' => true,
            Some(open) => match open.kind {
                Kind::Bold => c == b'*',
                Kind::Italic => c == b'_' && next != b'_',
                Kind::Code => c == b'`',
                Kind::Pre => c == b'`' && next == b'`' && at(text, i + 2) == b'`',
                Kind::TextUrl | Kind::CustomEmoji => c == b']',
                Kind::Underline => c == b'_' && next == b'_',
                Kind::Strikethrough => c == b'~',
                Kind::Spoiler => c == b'|' && next == b'|',
                Kind::BlockQuote => false,
            },
        };
        if !is_end {
            let byte_offset = i;
            let mut language = String::new();
            let kind = match c {
                b'_' if next == b'_' => {
                    i += 1;
                    Kind::Underline
                }
                b'_' => Kind::Italic,
                b'*' => Kind::Bold,
                b'~' => Kind::Strikethrough,
                b'|' if next == b'|' => {
                    i += 1;
                    Kind::Spoiler
                }
                b'[' => Kind::TextUrl,
                b'`' if next == b'`' && at(text, i + 2) == b'`' => {
                    (i, language) = pre_opening(text, i + 3);
                    i -= 1;
                    Kind::Pre
                }
                b'`' => Kind::Code,
                b'!' if next == b'[' => {
                    i += 1;
                    Kind::CustomEmoji
                }
                b'\n' => {
                    utf16 += 1;
                    out.push(b'\n');
                    can_start_blockquote = true;
                    i += 1;
                    continue;
                }
                b'>' if can_start_blockquote => {
                    if have_blockquote {
                        i += 1;
                        continue;
                    }
                    have_blockquote = true;
                    Kind::BlockQuote
                }
                other => return Err(reserved(other)),
            };
            stack.push(Open {
                kind,
                language,
                offset: utf16,
                byte_offset,
                begin_pos: out.len(),
            });
            i += 1;
            continue;
        }
        // The end of the innermost entity.
        let Some(open) = stack.pop() else {
            return Err(reserved(c));
        };
        if c == b'\n' && open.kind != Kind::BlockQuote {
            return Err(unclosed(&open));
        }
        let mut skip = utf16 == open.offset;
        let mut extra = Value::Null;
        match open.kind {
            Kind::Underline | Kind::Spoiler => i += 1,
            Kind::Pre => i += 2,
            Kind::TextUrl | Kind::CustomEmoji => {
                let url = if open.kind == Kind::TextUrl && at(text, i + 1) != b'(' {
                    String::from_utf8_lossy(&out[open.begin_pos..]).into_owned()
                } else {
                    if at(text, i + 1) != b'(' {
                        return Err("The entity must contain a tg://emoji or tg://time URL".into());
                    }
                    i += 2;
                    let start = i;
                    let mut url = Vec::new();
                    while i < size && text[i] != b')' {
                        let n = at(text, i + 1);
                        if text[i] == b'\\' && n > 0 && n <= 126 {
                            url.push(n);
                            i += 2;
                            continue;
                        }
                        url.push(text[i]);
                        i += 1;
                    }
                    if at(text, i) != b')' {
                        return Err(format!("Can't find end of a URL at byte offset {start}"));
                    }
                    String::from_utf8_lossy(&url).into_owned()
                };
                if open.kind == Kind::CustomEmoji {
                    let Some(id) = url.strip_prefix("tg://emoji?id=") else {
                        return Err("Invalid tg://emoji or tg://time URL specified".into());
                    };
                    extra = json!({ "custom_emoji_id": id });
                } else {
                    match link_entity(&url, 0, 0) {
                        Some(e) => extra = json!({ "url": e["url"] }),
                        None => skip = true,
                    }
                }
            }
            Kind::BlockQuote => {
                have_blockquote = false;
                out.push(c);
                can_start_blockquote = true;
                utf16 += 1;
                skip = false;
            }
            _ => {}
        }
        if !skip {
            let length = utf16 - open.offset;
            let mut e = entity(open.kind.api_name(), open.offset, length);
            if !open.language.is_empty() {
                e["language"] = json!(open.language);
            }
            if let Value::Object(fields) = extra {
                for (k, v) in fields {
                    e[k] = v;
                }
            }
            entities.push(e);
        }
        i += 1;
    }
    if have_blockquote
        && let Some(open) = stack.last()
        && open.kind == Kind::BlockQuote
    {
        let length = utf16 - open.offset;
        if length != 0 {
            entities.push(entity("blockquote", open.offset, length));
        }
        stack.pop();
    }
    if let Some(open) = stack.last() {
        return Err(unclosed(open));
    }
    finish(out, entities)
}

fn finish(out: Vec<u8>, mut entities: Vec<Value>) -> Result<Parsed, String> {
    entities.sort_by_key(|e| (e["offset"].as_i64(), -e["length"].as_i64().unwrap_or(0)));
    let text = String::from_utf8(out).map_err(|_| "Text must be encoded in UTF-8".to_owned())?;
    Ok(Parsed { text, entities })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_markdown_gives_entities_in_utf16_units() {
        let p = parse_markdown("😀 *bold* _it_ `c` [site](example.com)").unwrap();
        assert_eq!(p.text, "😀 bold it c site");
        let kinds: Vec<_> = p.entities.iter().map(|e| e["type"].clone()).collect();
        assert_eq!(kinds, vec!["bold", "italic", "code", "text_link"]);
        assert_eq!(p.entities[0]["offset"], 3, "the emoji takes two units");
        assert_eq!(p.entities[3]["url"], "http://example.com/");
    }

    #[test]
    fn legacy_markdown_refuses_an_entity_never_closed() {
        for (text, at) in [
            ("my_channel", 2),
            ("a *b", 2),
            ("`x", 0),
            ("[x", 0),
            ("```x", 0),
        ] {
            assert_eq!(
                parse_markdown(text).unwrap_err(),
                format!("Can't find end of the entity starting at byte offset {at}"),
                "{text}"
            );
        }
    }

    #[test]
    fn legacy_markdown_escapes_its_four_characters() {
        let p = parse_markdown(r"my\_channel \*x\* \` \[").unwrap();
        assert_eq!(p.text, "my_channel *x* ` [");
        assert!(p.entities.is_empty());
    }

    #[test]
    fn legacy_pre_takes_a_language() {
        let p = parse_markdown("```rust\nfn main() {}```").unwrap();
        assert_eq!(p.text, "fn main() {}");
        assert_eq!(p.entities[0]["type"], "pre");
        assert_eq!(p.entities[0]["language"], "rust");
    }

    #[test]
    fn v2_requires_reserved_characters_escaped() {
        assert_eq!(
            parse_markdown_v2("Hello.").unwrap_err(),
            "Character '.' is reserved and must be escaped with the preceding '\\'"
        );
        let p = parse_markdown_v2(r"*bold _it_* __u__ ~s~ ||sp|| Hello\.").unwrap();
        assert_eq!(p.text, "bold it u s sp Hello.");
        let kinds: Vec<_> = p.entities.iter().map(|e| e["type"].clone()).collect();
        assert_eq!(
            kinds,
            vec!["bold", "italic", "underline", "strikethrough", "spoiler"]
        );
    }

    #[test]
    fn v2_pre_takes_a_language_and_skips_the_first_line_break() {
        let p = parse_markdown_v2("```rust\nfn main() {}```").unwrap();
        assert_eq!(p.text, "fn main() {}");
        assert_eq!(p.entities[0]["type"], "pre");
        assert_eq!(p.entities[0]["language"], "rust");
        let plain = parse_markdown_v2("```\r\ncode```").unwrap();
        assert_eq!(plain.text, "code");
        assert!(plain.entities[0].get("language").is_none());
    }

    #[test]
    fn v2_reports_the_unclosed_entity() {
        assert_eq!(
            parse_markdown_v2("*bold").unwrap_err(),
            "Can't find end of Bold entity at byte offset 0"
        );
        assert_eq!(
            parse_markdown_v2("[x](http://a.b").unwrap_err(),
            "Can't find end of a URL at byte offset 4"
        );
    }

    #[test]
    fn links_without_a_dotted_host_are_dropped() {
        assert_eq!(checked_link("localhost"), None);
        assert_eq!(checked_link("ftp://a.b"), None);
        assert_eq!(
            checked_link("https://t.me/x").as_deref(),
            Some("https://t.me/x")
        );
    }
}

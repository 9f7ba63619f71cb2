//! Telegram's legacy `Markdown` for welcome messages: `*bold*`, `_italic_`,
//! `` `code` ``, ```` ```pre``` ````, `[text](url)`, with `\` escaping those
//! characters outside an entity. Telegram refuses a text whose entity never
//! closes, so a welcome is checked when it is saved ([`check`]); the values
//! put in for its macros are escaped for the place they stand in
//! ([`render`]), so a name like `a_b` cannot break the message.

/// Why Telegram would refuse a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MarkdownError {
    /// An entity opened at this byte offset never closes.
    #[error("can't find end of the entity starting at byte offset {0}")]
    Unclosed(usize),
    /// Nothing is left to show once the markup is gone.
    #[error("message must be non-empty")]
    Empty,
}

/// Where in a text a character stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Outside any entity: the four markup characters need a `\`.
    Plain,
    /// Inside an entity that ends at this character.
    Inside(u8),
    /// Inside ```` ``` ````.
    Pre,
    /// Inside the `(url)` of a link.
    Url,
}

fn byte(text: &[u8], i: usize) -> u8 {
    text.get(i).copied().unwrap_or(0)
}

/// Walks `text` as Telegram's parser does, telling `visit` each byte's
/// place; `Err` where Telegram would refuse it. Returns the visible text
/// (markup removed).
fn walk(text: &str, mut visit: impl FnMut(usize, Place)) -> Result<String, MarkdownError> {
    let b = text.as_bytes();
    let mut visible: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' && matches!(byte(b, i + 1), b'_' | b'*' | b'`' | b'[') {
            visible.push(b[i + 1]);
            i += 2;
            continue;
        }
        if !matches!(c, b'_' | b'*' | b'`' | b'[') {
            visit(i, Place::Plain);
            visible.push(c);
            i += 1;
            continue;
        }
        let begin = i;
        let pre = c == b'`' && byte(b, i + 1) == b'`' && byte(b, i + 2) == b'`';
        let end = if c == b'[' { b']' } else { c };
        i += if pre { 3 } else { 1 };
        let place = if pre { Place::Pre } else { Place::Inside(end) };
        loop {
            if i >= b.len() {
                return Err(MarkdownError::Unclosed(begin));
            }
            let closes = if pre {
                b[i] == b'`' && byte(b, i + 1) == b'`' && byte(b, i + 2) == b'`'
            } else {
                b[i] == end
            };
            if closes {
                break;
            }
            visit(i, place);
            visible.push(b[i]);
            i += 1;
        }
        i += if pre { 3 } else { 1 };
        if c == b'[' && byte(b, i) == b'(' {
            i += 1;
            while i < b.len() && b[i] != b')' {
                visit(i, Place::Url);
                i += 1;
            }
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&visible).into_owned())
}

/// Whether Telegram would take `text` with `parse_mode: Markdown`: every
/// entity closed, and something left to show.
pub fn check(text: &str) -> Result<(), MarkdownError> {
    if walk(text, |_, _| {})?.trim().is_empty() {
        return Err(MarkdownError::Empty);
    }
    Ok(())
}

/// The length Telegram counts for `text` sent with `parse_mode: Markdown`:
/// its visible text (markup removed) in UTF-16 code units.
pub fn visible_utf16_len(text: &str) -> Result<usize, MarkdownError> {
    Ok(walk(text, |_, _| {})?.encode_utf16().count())
}

/// `value` made safe for `place`: outside entities the markup characters
/// are escaped; inside one, its closing character (which no escape can
/// hide there) becomes a look-alike; in a URL, `)` is percent-encoded.
fn escape_for(value: &str, place: Place) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match (place, ch) {
            (Place::Plain, '_' | '*' | '`' | '[') => {
                out.push('\\');
                out.push(ch);
            }
            (Place::Inside(b'*'), '*') => out.push('\u{2217}'),
            (Place::Inside(b'_'), '_') => out.push('\u{FF3F}'),
            (Place::Inside(b'`') | Place::Pre, '`') => out.push('\u{02CB}'),
            (Place::Inside(b']'), ']') => out.push('\u{FF3D}'),
            (Place::Url, ')') => out.push_str("%29"),
            (Place::Url, ' ') => out.push_str("%20"),
            _ => out.push(ch),
        }
    }
    out
}

/// Fills the macros of a welcome (`{name}`, `{title}`, ...: each `(macro,
/// value)` of `values`) with values escaped for where they stand. Unknown
/// macros stay as written. `template` must pass [`check`]; the result
/// then does too.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut places = vec![Place::Plain; template.len()];
    // A template that does not pass check is rendered as if all plain.
    let _ = walk(template, |i, place| places[i] = place);
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    while i < template.len() {
        let rest = &template[i..];
        if rest.starts_with('{')
            && let Some((name, value)) = values.iter().find(|(name, _)| rest.starts_with(name))
        {
            out.push_str(&escape_for(value, places[i]));
            i += name.len();
            continue;
        }
        let ch = rest.chars().next().unwrap_or('\0');
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_entities_are_refused_at_their_offset() {
        assert_eq!(check("join my_channel"), Err(MarkdownError::Unclosed(7)));
        assert_eq!(check("*bold"), Err(MarkdownError::Unclosed(0)));
        assert_eq!(check("a `code"), Err(MarkdownError::Unclosed(2)));
        assert_eq!(check("```pre``"), Err(MarkdownError::Unclosed(0)));
        assert_eq!(check("[link"), Err(MarkdownError::Unclosed(0)));
    }

    #[test]
    fn closed_or_escaped_markup_is_fine() {
        for text in [
            "Hi *{name}*, welcome to _{title}_!",
            r"join my\_channel",
            "[our channel](https://t.me/+abc) `code` ```pre```",
            "[https://t.me/x]",
            "no markup at all",
        ] {
            assert_eq!(check(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn markup_alone_shows_nothing() {
        assert_eq!(check("**"), Err(MarkdownError::Empty));
        assert_eq!(check("* *"), Err(MarkdownError::Empty));
    }

    #[test]
    fn values_are_escaped_for_their_place() {
        let values = [("{name}", "a_b*c`d[e]"), ("{click}", "x)y z")];
        assert_eq!(render("Hi {name}!", &values), r"Hi a\_b\*c\`d\[e]!");
        assert_eq!(render("*{name}*", &values), "*a_b\u{2217}c`d[e]*");
        assert_eq!(render("_{name}_", &values), "_a\u{FF3F}b*c`d[e]_");
        assert_eq!(
            render("[go](https://t.me/x?c={click})", &values),
            "[go](https://t.me/x?c=x%29y%20z)"
        );
        assert_eq!(render("{unknown} {name", &values), "{unknown} {name");
        for template in [
            "Hi {name}!",
            "*{name}*",
            "_{name}_",
            "`{name}`",
            "[{name}](https://x.y)",
        ] {
            assert_eq!(check(&render(template, &values)), Ok(()), "{template}");
        }
    }
}

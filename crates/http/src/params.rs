//! Request parameters from a JSON object, a form body or a query string.
//!
//! Parameters are kept as an ordered list of pairs, so that a name given
//! twice is seen (and refused) rather than silently resolved.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use usher_domain::services::Given;

/// One parameter's value as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ParamValue {
    /// A string: every form and query value, or a JSON string.
    Text(String),
    /// A JSON number.
    Number(serde_json::Number),
    /// Any other JSON value (object, array, bool, null).
    Other,
}

/// The parameters of one request.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, ParamValue)>,
}

/// The body cannot be read as its content type says.
#[derive(Debug)]
pub(crate) struct Unparsable;

impl Params {
    /// Parameters from pairs already split.
    pub(crate) fn from_pairs(pairs: Vec<(String, ParamValue)>) -> Self {
        Self { pairs }
    }

    /// A JSON body: must be one object.
    pub(crate) fn from_json(body: &[u8]) -> Result<Self, Unparsable> {
        let object: JsonObject = serde_json::from_slice(body).map_err(|_| Unparsable)?;
        Ok(Self { pairs: object.0 })
    }

    /// A form body (`application/x-www-form-urlencoded`); every name and
    /// value must decode to UTF-8.
    pub(crate) fn from_form(body: &[u8]) -> Result<Self, Unparsable> {
        let text = std::str::from_utf8(body).map_err(|_| Unparsable)?;
        let pairs = form_pairs(text)?
            .into_iter()
            .map(|(k, v)| (k, ParamValue::Text(v)))
            .collect();
        Ok(Self { pairs })
    }

    /// The single value of `name`: `None` when it is missing or given more
    /// than once.
    pub(crate) fn single(&self, name: &str) -> Option<&ParamValue> {
        let mut found = self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// `name` as a string.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        match self.single(name)? {
            ParamValue::Text(text) => Some(text),
            _ => None,
        }
    }

    /// `name` as a positive integer: a JSON integer or a string of digits.
    pub(crate) fn positive_id(&self, name: &str) -> Option<i64> {
        let n = match self.single(name)? {
            ParamValue::Number(n) => n.as_i64()?,
            ParamValue::Text(t) => parse_integer(t)?,
            ParamValue::Other => return None,
        };
        (n > 0).then_some(n)
    }
}

impl Params {
    /// Whether `name` is given at all (once or more).
    fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    /// `name` as a string, told apart from missing and from not a string
    /// (or given twice).
    pub(crate) fn given_text(&self, name: &str) -> Given<&str> {
        match self.text(name) {
            Some(text) => Given::Value(text),
            None if self.has(name) => Given::Invalid,
            None => Given::Absent,
        }
    }

    /// `name` as an integer, told apart from missing and from malformed.
    pub(crate) fn given_integer(&self, name: &str) -> Given<i64> {
        let value = match self.single(name) {
            Some(ParamValue::Number(n)) => n.as_i64(),
            Some(ParamValue::Text(t)) => parse_integer(t),
            Some(ParamValue::Other) => None,
            None if self.has(name) => None,
            None => return Given::Absent,
        };
        value.map_or(Given::Invalid, Given::Value)
    }

    /// `name` as a non-zero integer (chat ids are negative): a JSON integer
    /// or a string of digits with an optional leading `-`.
    pub(crate) fn nonzero_integer(&self, name: &str) -> Option<i64> {
        let n = match self.single(name)? {
            ParamValue::Number(n) => n.as_i64()?,
            ParamValue::Text(t) => parse_integer(t)?,
            ParamValue::Other => return None,
        };
        (n != 0).then_some(n)
    }
}

/// An integer written as digits with an optional leading `-`; nothing else
/// (no `+`, spaces, or exponent).
pub(crate) fn parse_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Splits `a=1&b=2` into decoded pairs (`+` is a space). Fails on a value
/// that does not decode to UTF-8.
pub(crate) fn form_pairs(text: &str) -> Result<Vec<(String, String)>, Unparsable> {
    text.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

fn decode(text: &str) -> Result<String, Unparsable> {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Unparsable)
}

/// A JSON object read as ordered pairs, duplicates kept.
struct JsonObject(Vec<(String, ParamValue)>);

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = JsonObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonObject, A::Error> {
                let mut pairs = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    let value = match value {
                        Value::String(s) => ParamValue::Text(s),
                        Value::Number(n) => ParamValue::Number(n),
                        _ => ParamValue::Other,
                    };
                    pairs.push((key, value));
                }
                Ok(JsonObject(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_and_digit_strings_are_ids() {
        let p =
            Params::from_json(br#"{"id": 7, "b": "12", "c": "-3", "d": 7.5, "e": "7a"}"#).unwrap();
        assert_eq!(p.positive_id("id"), Some(7));
        assert_eq!(p.positive_id("b"), Some(12));
        assert_eq!(p.positive_id("c"), None);
        assert_eq!(p.positive_id("d"), None);
        assert_eq!(p.positive_id("e"), None);
        assert_eq!(p.positive_id("missing"), None);
    }

    #[test]
    fn duplicated_names_are_not_a_single_value() {
        let p = Params::from_json(br#"{"id": 7, "id": 8}"#).unwrap();
        assert_eq!(p.single("id"), None);
        let p = Params::from_form(b"id=7&id=7").unwrap();
        assert_eq!(p.positive_id("id"), None);
    }

    #[test]
    fn only_objects_are_json_params() {
        for body in [&b"[1]"[..], b"7", b"\"x\"", b"{", b"", b"{\"a\":1} x"] {
            assert!(Params::from_json(body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn forms_decode_percent_and_plus_and_refuse_bad_utf8() {
        let p = Params::from_form(b"token=12%3Aab+c&x").unwrap();
        assert_eq!(p.text("token"), Some("12:ab c"));
        assert_eq!(p.text("x"), Some(""));
        assert!(Params::from_form(b"token=%ff").is_err());
        assert!(Params::from_form(&[0xff]).is_err());
    }

    #[test]
    fn integers_are_plain_digits() {
        assert_eq!(parse_integer("-1001234567890"), Some(-1_001_234_567_890));
        for bad in ["", "-", "+1", " 1", "1e3", "99999999999999999999"] {
            assert_eq!(parse_integer(bad), None, "{bad}");
        }
    }
}

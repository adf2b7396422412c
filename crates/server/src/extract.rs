//! Extractors whose rejections are [`ApiError`]s, so a client mistake (malformed JSON, a
//! wrong type, an unknown or missing field, an oversized body, a bad path or query value)
//! gets the error envelope with a message naming the field, never a framework default.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

/// A JSON request body (parsed strictly) or a JSON response.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Json<T>, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::bad_request(
                "The request body must be JSON: send the header `Content-Type: application/json`.",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        require_object(&bytes)?;
        parse_json(&bytes).map(Json)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = value.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case("application/json")
        || (mime.starts_with("application/") && mime.ends_with("+json"))
}

fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(
            "The request body is larger than the server accepts (1 MiB).".to_string(),
        )
    } else {
        ApiError::bad_request(format!(
            "The request body could not be read: {}",
            rejection.body_text()
        ))
    }
}

/// `#[serde(default, deserialize_with = "empty_as_none")]` for an optional text query
/// parameter: an empty value (`?status=`, as a form sends an untouched field) means absent.
pub fn empty_as_none<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    Ok(Option::<String>::deserialize(deserializer)?.filter(|v| !v.is_empty()))
}

/// An optional JSON body: none, or `null`, is the default value.
pub fn parse_optional_json<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Ok(T::default());
    }
    if bytes.trim_ascii() == b"null" {
        return Ok(T::default());
    }
    require_object(bytes)?;
    parse_json(bytes)
}

/// Every request body is a JSON object (serde would also read a struct from an array).
fn require_object(bytes: &[u8]) -> Result<(), ApiError> {
    match bytes.trim_ascii_start().first() {
        Some(b'[') => Err(ApiError::validation(
            "The request body must be a JSON object (`{...}`).",
            Some(json!({ "field": null })),
        )),
        _ => Ok(()),
    }
}

/// `#[serde(default, deserialize_with = "page_limit::<MAX>")]` for a paged list's `limit`:
/// 1 to `MAX`, anything else refused with the range.
pub fn page_limit<'de, D, const MAX: u32>(deserializer: D) -> Result<Option<u32>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    let limit = Option::<u32>::deserialize(deserializer)?;
    match limit {
        Some(n) if n == 0 || n > MAX => Err(serde::de::Error::custom(format!(
            "{n} is not a page size from 1 to {MAX}"
        ))),
        other => Ok(other),
    }
}

/// Parses a JSON document, naming the field (as a dotted path) on any data error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| json_error(e.path().to_string(), e.into_inner()))?;
    de.end().map_err(|e| json_error(".".to_string(), e))?;
    Ok(value)
}

fn json_error(path: String, inner: serde_json::Error) -> ApiError {
    let (line, column) = (inner.line(), inner.column());
    let text = inner.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    match inner.classify() {
        serde_json::error::Category::Data => {
            // For an unknown field the path already ends with it; for a missing one it is
            // the parent's.
            let field = match named_field(&message) {
                Some(name) if path != name && !path.ends_with(&format!(".{name}")) => {
                    Some(join_path(&path, name))
                }
                _ => (path != ".").then(|| path.clone()),
            };
            let sentence = match (&field, named_field(&message)) {
                (Some(_), Some(_)) | (None, _) => message.clone(),
                (Some(field), None) => format!("field `{field}`: {message}"),
            };
            ApiError::validation(
                sentence,
                Some(json!({ "field": field, "line": line, "column": column })),
            )
        }
        _ => ApiError::BadRequest {
            message: format!(
                "The body is not valid JSON (line {line}, column {column}): {message}"
            ),
            details: Some(json!({ "line": line, "column": column })),
        },
    }
}

/// The field serde names in "unknown field `x`" or "missing field `x`".
fn named_field(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    rest.split('`').next()
}

fn join_path(path: &str, name: &str) -> String {
    if path == "." || path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Path parameters; a value of the wrong type is a `bad_request`.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Path<T>, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|r| ApiError::bad_request(r.body_text()))
    }
}

/// Query-string parameters; a bad value is a `bad_request` naming the parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Query<T>, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                let field = e.path().to_string();
                ApiError::BadRequest {
                    message: format!("query parameter `{field}`: {}", e.inner()),
                    details: Some(json!({ "field": field })),
                }
            })
    }
}

/// The largest `offset` a paged list accepts (the spec says so too).
pub const MAX_OFFSET: u32 = 1_000_000;

/// `#[serde(default, deserialize_with = "bounded_offset")]` for a paged list's `offset`:
/// past [`MAX_OFFSET`] is refused rather than silently read as an empty page.
pub fn bounded_offset<'de, D>(deserializer: D) -> Result<Option<u32>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    let offset = Option::<u32>::deserialize(deserializer)?;
    match offset {
        Some(n) if n > MAX_OFFSET => Err(serde::de::Error::custom(format!(
            "{n} is past the largest offset, {MAX_OFFSET}"
        ))),
        other => Ok(other),
    }
}

/// Whether a text field may span lines (descriptions, notes) or is one line (emails,
/// names, titles, tags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    One,
    /// Line feeds, carriage returns and tabs are allowed; other control characters are not.
    Many,
}

/// The one check every free-text field of a request goes through: no NUL or other control
/// characters (Unicode category Cc; line breaks and tabs only in [`Lines::Many`] fields),
/// and no bidirectional overrides or isolates (U+202A–U+202E, U+2066–U+2069), which make
/// stored text display differently from what it is. The error names the field, the
/// character and where it is.
pub fn check_text(field: &str, value: &str, lines: Lines) -> Result<(), ApiError> {
    let bad = value.chars().enumerate().find(|&(_, c)| {
        let allowed_control = lines == Lines::Many && matches!(c, '\n' | '\r' | '\t');
        (c.is_control() && !allowed_control)
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    });
    match bad {
        None => Ok(()),
        Some((position, c)) => {
            let what = if c.is_control() {
                "a control character"
            } else {
                "a bidirectional-text override"
            };
            let code = format!("U+{:04X}", u32::from(c));
            Err(ApiError::validation(
                format!(
                    "`{field}` contains {what} ({code}) at character {}; remove it.",
                    position + 1
                ),
                Some(json!({ "field": field, "character": code, "position": position + 1 })),
            ))
        }
    }
}

/// The earliest time a request may name: 1970-01-01T00:00:00Z, in Unix ms.
pub const MIN_TIME_MS: i64 = 0;
/// The latest time a request may name: 2200-01-01T00:00:00Z, in Unix ms.
pub const MAX_TIME_MS: i64 = 7_258_118_400_000;

/// At most `n` characters of what a user sent, for an error message ("…" when cut).
pub fn clip(text: &str, n: usize) -> String {
    match text.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// A time a user sent in `field` (an ISO-8601 date or date-time in UTC, or a Unix time in
/// `unit`, or by its magnitude), within the times this server handles. The error names the
/// field and quotes at most 40 characters of what was sent.
pub fn parse_time_field(
    field: &str,
    text: &str,
    unit: Option<bb_data::TimestampUnit>,
) -> Result<i64, ApiError> {
    let text = text.trim();
    let ms = bb_data::parse_timestamp(text, unit).map_err(|_| {
        ApiError::validation(
            format!(
                "`{field}` is not a time: {:?}. Give e.g. 2022-01-31, 2022-01-31T23:59:00Z or \
                 a Unix time.",
                clip(text, 40)
            ),
            Some(json!({ "field": field })),
        )
    })?;
    check_time(field, ms)
}

/// A time taken from a request (a `from` or `to`), refused with the field named when it is
/// outside 1970 to 2200.
pub fn check_time(field: &str, ms: i64) -> Result<i64, ApiError> {
    if (MIN_TIME_MS..=MAX_TIME_MS).contains(&ms) {
        Ok(ms)
    } else {
        let given = if ms == i64::MAX || ms == i64::MIN {
            "far".to_string()
        } else {
            format!("{ms} ms, which is")
        };
        Err(ApiError::validation(
            format!(
                "`{field}` is {given} outside the times this server handles: from \
                 1970-01-01 (0) to 2200-01-01 ({MAX_TIME_MS} ms)."
            ),
            Some(json!({ "field": field, "min": MIN_TIME_MS, "max": MAX_TIME_MS })),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn text_fields_refuse_control_and_bidi_characters() {
        for (value, lines) in [
            ("Ada Lovelace", Lines::One),
            ("café ✓ 日本", Lines::One),
            ("line one\nline two\twith a tab\r\n", Lines::Many),
        ] {
            assert!(check_text("f", value, lines).is_ok(), "{value:?}");
        }
        for (value, lines, code, position) in [
            ("a\0b", Lines::One, "U+0000", 2),
            ("a\nb", Lines::One, "U+000A", 2),
            ("a\u{7}b", Lines::Many, "U+0007", 2),
            ("\u{202E}evil", Lines::Many, "U+202E", 1),
            ("ab\u{2066}", Lines::One, "U+2066", 3),
            ("x\u{85}", Lines::One, "U+0085", 2),
        ] {
            let Err(ApiError::Validation {
                details: Some(d), ..
            }) = check_text("title", value, lines)
            else {
                panic!("{value:?} was accepted");
            };
            assert_eq!(d["field"], "title");
            assert_eq!(d["character"], code, "{value:?}");
            assert_eq!(d["position"], position, "{value:?}");
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    fn check(input: &str, code: crate::error::ErrorCode, field: Option<&str>, needle: &str) {
        let e = parse_json::<Body>(input.as_bytes()).expect_err(input);
        assert_eq!(e.code(), code, "{input}: {e}");
        assert!(e.to_string().contains(needle), "{input}: {e}");
        if let ApiError::Validation {
            details: Some(details),
            ..
        } = &e
        {
            assert_eq!(details["field"].as_str(), field, "{input}");
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        check(
            r#"{"title": "x", "colour": 1}"#,
            crate::error::ErrorCode::ValidationFailed,
            Some("colour"),
            "colour",
        );
        check(
            r#"{}"#,
            crate::error::ErrorCode::ValidationFailed,
            Some("title"),
            "title",
        );
        check(
            r#"{"title": 5}"#,
            crate::error::ErrorCode::ValidationFailed,
            Some("title"),
            "title",
        );
        check(
            r#"{"title": "x", "inner": {"count": "many"}}"#,
            crate::error::ErrorCode::ValidationFailed,
            Some("inner.count"),
            "inner.count",
        );
        check(
            r#"{"title": "x", "inner": {"cnt": 1}}"#,
            crate::error::ErrorCode::ValidationFailed,
            Some("inner.cnt"),
            "cnt",
        );
        check(
            r#"{"title": "x""#,
            crate::error::ErrorCode::BadRequest,
            None,
            "not valid JSON",
        );
        check(
            r#"{"title": "x"} trailing"#,
            crate::error::ErrorCode::BadRequest,
            None,
            "not valid JSON",
        );
    }
}

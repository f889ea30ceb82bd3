//! The CSV downloads of the pages: UTF-8 with a byte order mark (Excel opens it as
//! such), CRLF lines, fields quoted when they must be.

use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// A CSV file being written.
pub(super) struct Csv(String);

impl Csv {
    pub(super) fn new() -> Csv {
        Csv(String::from("\u{feff}"))
    }

    /// Appends one line.
    pub(super) fn line(&mut self, fields: &[String]) {
        let fields: Vec<String> = fields.iter().map(|f| field(f)).collect();
        self.0.push_str(&fields.join(","));
        self.0.push_str("\r\n");
    }

    /// The download, named `<name>-<period>.csv` (ASCII letters, digits, `-`, `_`).
    pub(super) fn download(self, name: &str, period: &str) -> Response {
        let file = format!(
            "attachment; filename=\"{}-{}.csv\"",
            ascii_name(name),
            ascii_name(period)
        );
        (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (CONTENT_DISPOSITION, file),
                (CACHE_CONTROL, "no-store".to_owned()),
            ],
            self.0,
        )
            .into_response()
    }
}

/// One field, quoted when it holds a comma, quote or line break (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A file name part of letters, digits, `-` and `_` only.
fn ascii_name(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_when_needed() {
        assert_eq!(field("a"), "a");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("a\"b"), "\"a\"\"b\"");
        assert_eq!(ascii_name("202611\"; x=y"), "202611xy");
    }
}

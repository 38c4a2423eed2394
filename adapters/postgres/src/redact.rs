//! Keeping passwords out of messages: [`redact_url`] for showing a URL, and [`Secrets`],
//! which every error the adapter builds passes through.
//!
//! A password can sit in a URL in two places: the userinfo (`postgres://user:pw@host/db`,
//! percent-encoded or not) and the query (`?password=pw`). The adapter never quotes a URL
//! back, and sqlx and the server do not quote passwords; [`Secrets`] is the second line:
//! whatever builds an error message, the password the URL carried (as written, and
//! decoded) is replaced by `***` before the message leaves the adapter.

use std::fmt;

use runtime_store_backend::BackendError;

/// What replaces a password.
const MASK: &str = "***";

/// Passwords shorter than this are not searched for in messages: replacing one or two
/// characters everywhere would garble every message and hide nothing.
const MIN_SCRUBBED_LEN: usize = 4;

/// `url` fit for messages and logs: a password in the userinfo and the value of every
/// query parameter whose name holds `password` (`password`, `sslpassword`) are replaced
/// by `***`; the user, host, port, database and other parameters stay.
///
/// The userinfo is taken to end at the last `@` before the query, so a password holding
/// unencoded `@`, `/` or `:` is hidden whole even though such a URL does not parse as
/// the password the user meant (percent-encode those: `%40`, `%2F`, `%3A`).
///
/// ```
/// use runtime_store_postgres::redact_url;
///
/// assert_eq!(redact_url("postgres://gm:s3cret@db:5432/games"), "postgres://gm:***@db:5432/games");
/// assert_eq!(redact_url("postgres://gm:a/b@c:d@db/games"), "postgres://gm:***@db/games");
/// assert_eq!(
///     redact_url("postgres://gm@db/games?sslmode=require&password=s3cret"),
///     "postgres://gm@db/games?sslmode=require&password=***"
/// );
/// assert_eq!(redact_url("memory:"), "memory:");
/// ```
pub fn redact_url(url: &str) -> String {
    let parts = UrlParts::split(url);
    let mut shown = String::with_capacity(url.len());
    shown.push_str(parts.head);
    if let Some(userinfo) = parts.userinfo {
        match userinfo.split_once(':') {
            Some((user, _password)) => {
                shown.push_str(user);
                shown.push(':');
                shown.push_str(MASK);
            }
            None => shown.push_str(userinfo),
        }
        shown.push('@');
    }
    shown.push_str(parts.location);
    if let Some(query) = parts.query {
        shown.push('?');
        for (index, parameter) in query.split('&').enumerate() {
            if index > 0 {
                shown.push('&');
            }
            match parameter.split_once('=') {
                Some((key, _value)) if is_password_key(key) => {
                    shown.push_str(key);
                    shown.push('=');
                    shown.push_str(MASK);
                }
                _ => shown.push_str(parameter),
            }
        }
    }
    shown
}

/// A URL cut where passwords can be: `head` (`scheme://`), `userinfo` (before the `@`),
/// `location` (host, port, path) and `query` (after the `?`).
struct UrlParts<'a> {
    head: &'a str,
    userinfo: Option<&'a str>,
    location: &'a str,
    query: Option<&'a str>,
}

impl<'a> UrlParts<'a> {
    fn split(url: &'a str) -> Self {
        let (head, rest) = match url.find("://") {
            Some(at) => url.split_at(at + 3),
            None => ("", url),
        };
        // The userinfo ends at the last `@` before the query; the query starts at the first
        // `?` after the first `@` (a `?` before any `@` may be part of the password).
        let (userinfo, after) = match rest.find('@') {
            Some(first_at) => {
                let query_start = rest[first_at..]
                    .find('?')
                    .map_or(rest.len(), |offset| first_at + offset);
                let last_at = rest[..query_start].rfind('@').unwrap_or(first_at);
                (Some(&rest[..last_at]), &rest[last_at + 1..])
            }
            None => (None, rest),
        };
        let (location, query) = match after.split_once('?') {
            Some((location, query)) => (location, Some(query)),
            None => (after, None),
        };
        UrlParts {
            head,
            userinfo,
            location,
            query,
        }
    }
}

/// Whether a query parameter named `key` carries a password (`password`, `sslpassword`,
/// any spelling or encoding).
fn is_password_key(key: &str) -> bool {
    form_decode(key).to_ascii_lowercase().contains("password")
}

/// The name of a query parameter of `url` that carries a password but is not the
/// `password` parameter sqlx understands (e.g. libpq's `sslpassword`): sqlx would log its
/// value as an unrecognised parameter.
pub(crate) fn unsupported_password_parameter(url: &str) -> Option<String> {
    UrlParts::split(url)
        .query?
        .split('&')
        .map(|parameter| parameter.split_once('=').map_or(parameter, |(key, _)| key))
        .find(|key| is_password_key(key) && form_decode(key) != "password")
        .map(form_decode)
}

/// `text` with `%XX` escapes decoded (invalid escapes kept as written, invalid UTF-8
/// replaced).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// A query value decoded as sqlx decodes it (`application/x-www-form-urlencoded`: `+` is a
/// space).
fn form_decode(text: &str) -> String {
    percent_decode(&text.replace('+', " "))
}

/// The passwords one URL carries, in every form a message could show them; replaced by
/// `***` in every error message of the backend opened with that URL. Its `Debug` shows
/// how many there are, never what they are.
#[derive(Clone, Default)]
pub(crate) struct Secrets {
    /// Longest first, so that a secret containing another is replaced whole.
    values: Vec<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} redacted)", self.values.len())
    }
}

impl Secrets {
    /// The passwords of `url`: the userinfo's password and every password parameter, as
    /// written and decoded.
    pub(crate) fn of_url(url: &str) -> Self {
        let parts = UrlParts::split(url);
        let mut values = Vec::new();
        if let Some((_user, password)) = parts.userinfo.and_then(|info| info.split_once(':')) {
            values.push(password.to_owned());
            values.push(percent_decode(password));
        }
        for parameter in parts.query.into_iter().flat_map(|query| query.split('&')) {
            if let Some((key, value)) = parameter.split_once('=')
                && is_password_key(key)
            {
                values.push(value.to_owned());
                values.push(percent_decode(value));
                values.push(form_decode(value));
            }
        }
        values.retain(|value| value.chars().count() >= MIN_SCRUBBED_LEN);
        values.sort_by_key(|value| std::cmp::Reverse(value.len()));
        values.dedup();
        Secrets { values }
    }

    /// `text` with every secret replaced by `***`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.values {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), MASK);
            }
        }
        text
    }

    /// `error` with every secret replaced in its message.
    pub(crate) fn scrub_error(&self, error: BackendError) -> BackendError {
        if self.values.is_empty() {
            return error;
        }
        match error {
            BackendError::Unavailable(message) => BackendError::Unavailable(self.scrub(&message)),
            BackendError::Corrupt(message) => BackendError::Corrupt(self.scrub(&message)),
            BackendError::Failed(message) => BackendError::Failed(self.scrub(&message)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_passwords_are_masked_in_every_spelling() {
        for (url, shown) in [
            (
                "postgres://gm:s3cret@db:5432/games",
                "postgres://gm:***@db:5432/games",
            ),
            (
                "postgresql://gm:p%40ss%2Fw%3Ard@db/games?sslmode=require",
                "postgresql://gm:***@db/games?sslmode=require",
            ),
            (
                "postgres://gm:p@ss/w:rd@db/games",
                "postgres://gm:***@db/games",
            ),
            ("postgres://gm:p?x@db/games", "postgres://gm:***@db/games"),
            (
                "postgres://gm:a@b@db/g?sslrootcert=/certs/a@b.pem",
                "postgres://gm:***@db/g?sslrootcert=/certs/a@b.pem",
            ),
            ("postgres://gm:@db/games", "postgres://gm:***@db/games"),
            ("postgres://gm@db/games", "postgres://gm@db/games"),
            ("postgres://db", "postgres://db"),
            ("memory:", "memory:"),
            ("", ""),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn password_parameters_are_masked_and_the_others_kept() {
        assert_eq!(
            redact_url("postgres://gm@db/g?password=s3cret&sslmode=verify-full&SSLPassword=k3y"),
            "postgres://gm@db/g?password=***&sslmode=verify-full&SSLPassword=***"
        );
        assert_eq!(
            redact_url("postgres://gm@db/g?pass%77ord=s3cret"),
            "postgres://gm@db/g?pass%77ord=***"
        );
    }

    #[test]
    fn secrets_are_scrubbed_as_written_and_decoded() {
        let secrets = Secrets::of_url("postgres://gm:p%40ss%2Fw%3Ard@db/g?password=a+b%2Bc1");
        assert_eq!(
            secrets.scrub("x p%40ss%2Fw%3Ard y p@ss/w:rd z a b+c1 a+b%2Bc1"),
            "x *** y *** z *** ***"
        );
        let debug = format!("{secrets:?}");
        assert!(!debug.contains("p@ss"), "{debug}");
        assert!(
            Secrets::of_url("postgres://gm:abc@db/g")
                .scrub("abc")
                .contains("abc"),
            "short passwords are not searched for"
        );
        assert_eq!(
            Secrets::of_url("postgres://gm:hunter22@db")
                .scrub_error(BackendError::Failed("bad hunter22".into())),
            BackendError::Failed("bad ***".into())
        );
    }
}

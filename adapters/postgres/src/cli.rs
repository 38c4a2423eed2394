//! The adapter's command-line options (feature `clap`), for a binary to flatten into its
//! own arguments: the CLI knows no PostgreSQL setting by name.

use std::time::Duration;

use clap::Args;

use crate::{PostgresFactory, PostgresOptions};

/// The largest pool a command line may ask for: far above what a PostgreSQL server accepts
/// by default (`max_connections` 100), far below what would exhaust the host.
pub const MAX_POOL_CONNECTIONS: u32 = 10_000;

/// Settings of the PostgreSQL connection pool; ignored by other backends.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "PostgreSQL")]
pub struct PostgresArgs {
    /// Most connections the pool opens at once.
    #[arg(
        long,
        global = true,
        value_name = "COUNT",
        default_value_t = PostgresOptions::default().get_max_connections(),
        value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_POOL_CONNECTIONS)),
    )]
    pub pg_max_connections: u32,
    /// How long an operation waits for a connection, connecting included, before it
    /// fails, in seconds (fractions allowed).
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = PostgresOptions::default().get_acquire_timeout().as_secs_f64(),
        value_parser = parse_seconds,
    )]
    pub pg_acquire_timeout: f64,
    /// How long the server lets one statement run before it cancels it and rolls it back
    /// (statement_timeout), in seconds (fractions allowed); 0: no limit.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = PostgresOptions::default().get_statement_timeout().as_secs_f64(),
        value_parser = parse_seconds,
    )]
    pub pg_statement_timeout: f64,
    /// Schema the table lives in (the search_path of every connection); migrate creates
    /// it when missing. Letters, digits and underscores, not starting with a digit, at
    /// most 63 bytes. Default: the server's search path.
    #[arg(long, global = true, value_name = "NAME", value_parser = parse_schema)]
    pub pg_schema: Option<String>,
}

impl PostgresArgs {
    /// The pool options these arguments give.
    pub fn options(&self) -> PostgresOptions {
        let options = PostgresOptions::default()
            .max_connections(self.pg_max_connections)
            .acquire_timeout(Duration::from_secs_f64(self.pg_acquire_timeout))
            .statement_timeout(Duration::from_secs_f64(self.pg_statement_timeout));
        match &self.pg_schema {
            Some(schema) => options.schema(schema),
            None => options,
        }
    }

    /// A factory opening `postgres://` URLs with these options.
    pub fn factory(&self) -> PostgresFactory {
        PostgresFactory::with_options(self.options())
    }
}

/// A non-negative, finite number of seconds that fits a [`Duration`].
fn parse_seconds(text: &str) -> Result<f64, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds)
        .map(|_| seconds)
        .map_err(|_| format!("{text:?} is not a non-negative, finite number of seconds"))
}

/// A plain SQL identifier: what a schema name can be without surprises in `search_path`
/// and in an operator's `psql`.
fn parse_schema(text: &str) -> Result<String, String> {
    let mut characters = text.chars();
    let plain = characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|rest| rest.is_ascii_alphanumeric() || rest == '_')
        && text.len() <= 63;
    if plain {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a plain schema name (letters, digits and underscores, not starting with a digit, at most 63 bytes)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for good in ["gm", "_staging", "tenant_42", &"s".repeat(63)] {
            assert_eq!(parse_schema(good).as_deref(), Ok(good));
        }
        for bad in [
            "",
            "4tenant",
            "with space",
            "back\\slash",
            "quo\"te",
            "é",
            &"s".repeat(64),
        ] {
            assert!(parse_schema(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn seconds_are_finite_and_not_negative() {
        assert_eq!(parse_seconds("0.5"), Ok(0.5));
        for bad in ["-1", "NaN", "inf", "1e400", "soon"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}

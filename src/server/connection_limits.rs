//! How long the built-in servers wait for a client, and how many clients
//! they hold at once: the settings that keep a server left running from
//! being held open by slow, idle or stalled clients. Each limit's message
//! names the flag that changes it.

use serde::Serialize;
use std::time::Duration;

/// Time and count limits on the servers' connections (`imgwire serve
/// --header-timeout-s`, `--body-timeout-s`, `--request-timeout-s`,
/// `--idle-timeout-s`, `--max-connections`, `--max-streams`).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ConnectionLimits {
    /// HTTP/1 request headers must arrive within this, counted from the
    /// connection's start or the end of its previous response (so it is the
    /// HTTP/1 keep-alive limit too); on every server, a client's first byte
    /// must arrive within this.
    pub header: Duration,
    /// A request body (or gRPC message) must arrive whole within this,
    /// counted from its headers.
    pub body: Duration,
    /// A request must be answered within this, counted from its headers.
    pub request: Duration,
    /// A connection on which no byte moves either way for this long, with
    /// no request in flight, is closed (every server: HTTP/1, HTTP/2, gRPC,
    /// the TCP floor).
    pub idle: Duration,
    /// Connections open at once, over all the servers together; one more is
    /// accepted and closed at once.
    pub max_connections: usize,
    /// Concurrent HTTP/2 streams per connection (REST/2 and gRPC).
    pub max_streams: u32,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
            request: Duration::from_secs(60),
            idle: Duration::from_secs(60),
            max_connections: 1024,
            max_streams: 256,
        }
    }
}

/// A request body that did not arrive whole in time.
pub fn body_timeout_message(limit: Duration) -> String {
    format!(
        "the request body did not arrive within {} (raise --body-timeout-s)",
        seconds(limit)
    )
}

/// A request the server did not answer in time.
pub fn request_timeout_message(limit: Duration) -> String {
    format!(
        "the request was not answered within {} (raise --request-timeout-s)",
        seconds(limit)
    )
}

/// A connection on which nothing moved for too long.
pub fn idle_timeout_message(limit: Duration) -> String {
    format!(
        "no bytes moved on the connection for {}; closing it (raise --idle-timeout-s)",
        seconds(limit)
    )
}

/// A client that connected and sent nothing.
pub fn silent_client_message(limit: Duration) -> String {
    format!(
        "the client sent nothing within {} of connecting; closing (raise --header-timeout-s)",
        seconds(limit)
    )
}

/// A connection turned away at the connection limit.
pub fn connection_limit_message(limit: usize) -> String {
    format!(
        "warning: refused a connection: {limit} connections are open, the limit (raise --max-connections)"
    )
}

fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

/// `--*-timeout-s`: a positive number of seconds, at most a day.
pub fn parse_timeout_s(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if value > 0.0 && value <= 86_400.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(format!(
            "'{text}' is out of range (more than 0, at most 86400 seconds)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_positive_seconds() {
        assert_eq!(parse_timeout_s("0.3"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_timeout_s("10"), Ok(Duration::from_secs(10)));
        for bad in ["0", "-1", "nan", "inf", "1e9", "ten"] {
            assert!(parse_timeout_s(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn messages_name_their_flags() {
        let d = Duration::from_millis(300);
        assert!(body_timeout_message(d).contains("--body-timeout-s"));
        assert!(request_timeout_message(d).contains("--request-timeout-s"));
        assert!(idle_timeout_message(d).contains("0.3 s"));
        assert!(connection_limit_message(4).contains("--max-connections"));
    }
}

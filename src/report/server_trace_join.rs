//! How a scenario's counted requests were joined to the server's own trace
//! (`bench --collect-traces`, `server_trace`): how many got their server
//! stages from it, why the rest did not, and where it came from.

use serde::{Deserialize, Serialize};

/// What joining a scenario's requests to the server's trace gave.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerTraceJoin {
    /// Where the trace came from, in words.
    pub source: String,
    /// Counted requests that carried a trace id.
    pub requests: usize,
    /// Requests that got their server stages from the trace.
    pub joined: usize,
    /// Requests whose trace never came within the wait.
    pub not_received: usize,
    /// Requests whose trace came without Triton's five compute timestamps,
    /// or with them out of order.
    pub incomplete: usize,
    /// Requests whose traced stages did not fit inside their round trip,
    /// or that had server stages already (left out, counted).
    pub refused: usize,
    /// The first of those refusals, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_example: Option<String>,
}

impl ServerTraceJoin {
    /// One line for the report: how many requests have the server's own
    /// stages, and where the rest went.
    pub fn describe(&self) -> String {
        let mut line = format!(
            "{} of {} requests have server stages from the server's own trace, joined by \
             trace or request id",
            self.joined, self.requests
        );
        let misses = [
            (
                self.not_received,
                "not received in time (--collect-traces-wait)",
            ),
            (self.incomplete, "without the five compute timestamps"),
            (self.refused, "left out"),
        ];
        for (count, what) in misses.into_iter().filter(|(n, _)| *n > 0) {
            line.push_str(&format!("; {count} {what}"));
        }
        if let Some(example) = &self.refused_example {
            line.push_str(&format!(" ({example})"));
        }
        format!("{line}; source: {}", self.source)
    }
}

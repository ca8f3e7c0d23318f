//! Reading an OTLP/HTTP JSON export (`ExportTraceServiceRequest`, as the
//! OpenTelemetry exporters and Triton's `mode=opentelemetry` send it): each
//! span's trace id and its events' names and times. Only what a join needs
//! is kept; unknown fields are ignored, as the OTLP JSON mapping asks.

use serde::de::{self, Deserializer};
use serde::Deserialize;

/// One span's trace id and events.
#[derive(Debug, PartialEq)]
pub struct SpanEvents {
    pub trace_id: [u8; 16],
    /// Each event's name and time (Unix ns).
    pub events: Vec<(String, u64)>,
    /// The request's own id where the span carries it as 32 hex digits
    /// (Triton's `triton.request_id`; imgwire sends its trace id there):
    /// how a request is found when the server traced it under a trace of
    /// its own.
    pub request_id: Option<[u8; 16]>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    #[serde(default)]
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans {
    #[serde(default)]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScopeSpans {
    #[serde(default)]
    spans: Vec<Span>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Span {
    #[serde(default)]
    trace_id: String,
    #[serde(default)]
    events: Vec<Event>,
    #[serde(default)]
    attributes: Vec<Attribute>,
}

#[derive(Deserialize)]
struct Attribute {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: AttributeValue,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttributeValue {
    #[serde(default)]
    string_value: Option<String>,
}

/// The attribute Triton keeps a request's `id` in.
const REQUEST_ID: &str = "triton.request_id";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    #[serde(default)]
    name: String,
    #[serde(default, deserialize_with = "unix_nanos")]
    time_unix_nano: u64,
}

/// OTLP JSON writes 64-bit integers as strings, and some exporters as numbers.
fn unix_nanos<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Nanos {
        Number(u64),
        Text(String),
    }
    match Nanos::deserialize(deserializer)? {
        Nanos::Number(n) => Ok(n),
        Nanos::Text(text) => text.parse().map_err(de::Error::custom),
    }
}

/// A 32-hex-digit trace id (OTLP JSON writes ids as hex, not base64).
fn hex_id(hex: &str) -> Option<[u8; 16]> {
    if hex.len() != 32 {
        return None;
    }
    let mut id = [0u8; 16];
    for (byte, pair) in id.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    (id != [0; 16]).then_some(id)
}

/// The spans of one export; spans without a valid trace id are left out
/// and counted in the second value.
pub fn parse(body: &[u8]) -> Result<(Vec<SpanEvents>, usize), serde_json::Error> {
    let export: Export = serde_json::from_slice(body)?;
    let mut unreadable = 0;
    let spans = export
        .resource_spans
        .into_iter()
        .flat_map(|resource| resource.scope_spans)
        .flat_map(|scope| scope.spans)
        .filter_map(|span| {
            let Some(trace_id) = hex_id(&span.trace_id) else {
                unreadable += 1;
                return None;
            };
            let request_id = span
                .attributes
                .iter()
                .find(|a| a.key == REQUEST_ID)
                .and_then(|a| a.value.string_value.as_deref())
                .and_then(hex_id);
            let events = span.events.into_iter().map(|e| (e.name, e.time_unix_nano));
            Some(SpanEvents {
                trace_id,
                events: events.collect(),
                request_id,
            })
        })
        .collect();
    Ok((spans, unreadable))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The shape of one request's export from Triton 2.51 (`mode=opentelemetry`,
    /// `level=TIMESTAMPS`), as captured here: the model's span and its
    /// `compute` span (the `InferRequest` span and attributes cut short).
    pub(crate) fn triton_export(trace: &str, start: u64) -> String {
        let event = |name: &str, after: u64| {
            format!(
                r#"{{"timeUnixNano":"{}","name":"{name}","attributes":[]}}"#,
                start + after
            )
        };
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"triton-inference-server"}}}}]}},"scopeSpans":[{{"scope":{{"name":"triton-server","version":""}},"spans":[
            {{"traceId":"{trace}","spanId":"1111111111111111","parentSpanId":"2222222222222222","name":"decode","kind":2,"startTimeUnixNano":"{start}","endTimeUnixNano":"{end}","attributes":[{{"key":"triton.request_id","value":{{"stringValue":"{trace}"}}}}],"events":[{e1},{e2},{e3}],"status":{{}}}},
            {{"traceId":"{trace}","spanId":"3333333333333333","parentSpanId":"1111111111111111","name":"compute","kind":2,"startTimeUnixNano":{start},"endTimeUnixNano":{end},"events":[{c1},{c2},{c3},{c4}]}}
            ]}}]}}]}}"#,
            end = start + 9_000,
            e1 = event("REQUEST_START", 0),
            e2 = event("QUEUE_START", 1_000),
            e3 = event("REQUEST_END", 9_000),
            c1 = event("COMPUTE_START", 3_000),
            c2 = event("COMPUTE_INPUT_END", 3_500),
            c3 = event("COMPUTE_OUTPUT_START", 7_500),
            c4 = event("COMPUTE_END", 8_000),
        )
    }

    #[test]
    fn a_triton_export_gives_each_spans_trace_and_events() {
        let trace = "0af7651916cd43dd8448eb211c80319c";
        let (spans, unreadable) = parse(triton_export(trace, 100).as_bytes()).unwrap();
        assert_eq!(unreadable, 0);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].trace_id[0], 0x0a);
        assert_eq!(spans[0].trace_id[15], 0x9c);
        assert_eq!(spans[0].events[1], ("QUEUE_START".to_string(), 1_100));
        assert_eq!(spans[0].request_id, Some(spans[0].trace_id));
        assert_eq!(spans[1].request_id, None, "compute carries no request id");
        assert_eq!(spans[1].events[3], ("COMPUTE_END".to_string(), 8_100));
    }

    #[test]
    fn bad_ids_are_counted_and_bad_json_is_an_error() {
        let body = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"},{"traceId":"00000000000000000000000000000000"},{}]}]}]}"#;
        let (spans, unreadable) = parse(body.as_bytes()).unwrap();
        assert!(spans.is_empty());
        assert_eq!(unreadable, 3);
        assert!(parse(b"{}").unwrap().0.is_empty());
        assert!(parse(b"not json").is_err());
        let bad_time = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","events":[{"timeUnixNano":"soon"}]}]}]}]}"#;
        assert!(parse(bad_time.as_bytes()).is_err());
    }
}

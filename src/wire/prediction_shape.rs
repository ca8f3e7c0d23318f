//! A REST prediction answer read for its shape: every score parsed as an
//! f32 and every label's value as an i32, exactly as reading it into
//! `json::PredictionJson` would accept or refuse it, but counted instead of
//! kept, so the client's `response` stage does not allocate a vector, a
//! map and a string per label for every answer. And gRPC's answer read
//! into a message of the same wire shape whose labels need no hash table.

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// gRPC's `imgwire.v1.PredictionResponse` as the client reads it: the
/// same fields, numbers and types, so prost accepts and refuses exactly
/// what it does for the generated message, with the labels in a BTreeMap
/// (no hasher seeded and no table grown per answer).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PredictionProto {
    #[prost(float, repeated, tag = "1")]
    pub prediction1: Vec<f32>,
    #[prost(btree_map = "string, int32", tag = "2")]
    pub prediction2: BTreeMap<String, i32>,
}

/// How many scores and how many distinct labels a prediction holds.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct PredictionShape {
    #[serde(rename = "prediction1", deserialize_with = "count_scores")]
    pub scores: usize,
    #[serde(rename = "prediction2", deserialize_with = "count_labels")]
    pub labels: usize,
}

fn count_scores<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    struct Scores;
    impl<'de> Visitor<'de> for Scores {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a sequence of scores")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut count = 0;
            while seq.next_element::<f32>()?.is_some() {
                count += 1;
            }
            Ok(count)
        }
    }
    deserializer.deserialize_seq(Scores)
}

/// Counts a map's distinct keys, as a map keeps one value per key.
fn count_labels<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    struct Labels;
    impl<'de> Visitor<'de> for Labels {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of labels to integers")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
            let mut keys: Vec<Cow<'de, str>> = Vec::with_capacity(16);
            while let Some(Label(key)) = map.next_key()? {
                map.next_value::<i32>()?;
                keys.push(key);
            }
            keys.sort_unstable();
            keys.dedup();
            Ok(keys.len())
        }
    }
    deserializer.deserialize_map(Labels)
}

/// A label, borrowed from the answer unless it had escapes.
struct Label<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Label<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a label")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(text))
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(text.to_owned()))
            }
        }
        deserializer.deserialize_str(Text).map(Label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::json::PredictionJson;

    /// Whether `text` reads as a shape exactly when it reads as a
    /// `PredictionJson`, with the same counts.
    fn agrees(text: &str) -> Option<(usize, usize)> {
        let full = serde_json::from_str::<PredictionJson>(text)
            .ok()
            .map(|p| (p.prediction1.len(), p.prediction2.len()));
        let shape = serde_json::from_str::<PredictionShape>(text)
            .ok()
            .map(|s| (s.scores, s.labels));
        assert_eq!(shape, full, "{text}");
        shape
    }

    #[test]
    fn a_shape_accepts_and_refuses_what_the_full_prediction_does() {
        let answer = serde_json::to_string(&crate::wire::content::prediction_json()).unwrap();
        assert_eq!(agrees(&answer), Some((100, 10)));
        let cases = [
            r#"{"prediction1":[1,2.5,-3e2],"prediction2":{"a":1,"b":2},"extra":[]}"#,
            r#"{"prediction1":[],"prediction2":{"a":1,"a":2,"b\u0022":3}}"#,
            r#"{"prediction1":[1,"x"],"prediction2":{}}"#,
            r#"{"prediction1":[1],"prediction2":{"a":1.5}}"#,
            r#"{"prediction1":[1],"prediction2":{"a":99999999999}}"#,
            r#"{"prediction1":[1]}"#,
            r#"{"prediction1":{},"prediction2":{}}"#,
            r#"{"prediction1":[1],"prediction2":[]} trailing"#,
            r#"[]"#,
        ];
        let read: Vec<_> = cases.iter().map(|text| agrees(text)).collect();
        assert_eq!(read[0], Some((3, 2)));
        assert_eq!(read[1], Some((0, 2)), "a repeated label counts once");
        assert!(read[2..].iter().all(Option::is_none), "{read:?}");
    }

    #[test]
    fn the_grpc_shape_reads_what_the_generated_message_reads() {
        use crate::wire::proto::imgwire::PredictionResponse;
        use prost::Message;
        let counts = |bytes: &[u8]| {
            let generated = PredictionResponse::decode(bytes)
                .ok()
                .map(|p| (p.prediction1.len(), p.prediction2.len()));
            let shape = PredictionProto::decode(bytes)
                .ok()
                .map(|p| (p.prediction1.len(), p.prediction2.len()));
            assert_eq!(shape, generated, "{bytes:?}");
            shape
        };
        let answer = crate::wire::content::prediction_proto().encode_to_vec();
        assert_eq!(counts(&answer), Some((100, 10)));
        // A label repeated (the last one stays), then a label of bad UTF-8.
        let entry = |key: &[u8]| {
            [
                &[0x12, key.len() as u8 + 4, 0x0a, key.len() as u8][..],
                key,
                &[0x10, 1],
            ]
            .concat()
        };
        let twice = [entry(b"a"), entry(b"a"), entry(b"b")].concat();
        assert_eq!(counts(&twice), Some((0, 2)));
        assert_eq!(counts(&entry(b"\xff")), None);
        assert_eq!(counts(&answer[..answer.len() - 1]), None, "cut short");
    }
}

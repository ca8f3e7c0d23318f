//! The v2 REST infer request's JSON, read with every list, map and name
//! bounded as it is parsed (`parse_limits`): inputs, outputs, shapes,
//! `data` and `parameters` past their limits stop the parse, and a
//! parameter is a scalar (bool, number or string, as Triton's are), so a
//! list or object of millions of values is refused at its first byte
//! instead of built as JSON values.

use crate::server::parse_limits::{bounded_seq, Text, MAX_PARAMETERS, MAX_SHAPE_DIMS, MAX_TENSORS};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

#[derive(Deserialize)]
pub struct RequestJson {
    #[serde(default)]
    pub id: Text,
    #[serde(default)]
    pub parameters: Parameters,
    #[serde(deserialize_with = "inputs")]
    pub inputs: Vec<InputJson>,
    #[serde(default, deserialize_with = "outputs")]
    pub outputs: Option<Vec<OutputJson>>,
}

#[derive(Deserialize)]
pub struct InputJson {
    pub name: Text,
    #[serde(deserialize_with = "shape")]
    pub shape: Vec<i64>,
    pub datatype: Text,
    #[serde(default)]
    pub parameters: Parameters,
    #[serde(default, deserialize_with = "data")]
    pub data: Option<Vec<String>>,
}

#[derive(Deserialize)]
pub struct OutputJson {
    pub name: Text,
    #[serde(default)]
    pub parameters: Parameters,
}

fn inputs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<InputJson>, D::Error> {
    bounded_seq(d, "`inputs`", MAX_TENSORS)
}

fn outputs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<OutputJson>>, D::Error> {
    bounded_seq(d, "`outputs`", MAX_TENSORS).map(Some)
}

fn shape<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    bounded_seq(d, "an input's `shape`", MAX_SHAPE_DIMS)
}

fn data<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    bounded_seq(d, "an input's `data`", MAX_TENSORS).map(Some)
}

/// A `parameters` object: at most [`MAX_PARAMETERS`] scalar entries.
#[derive(Debug, Default)]
pub struct Parameters(Vec<(String, Param)>);

impl Parameters {
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }
}

/// One parameter's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
}

impl Param {
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Param::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Param::UInt(n) => Some(*n),
            Param::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Param::Bool(b) => write!(f, "{b}"),
            Param::Int(n) => write!(f, "{n}"),
            Param::UInt(n) => write!(f, "{n}"),
            Param::Float(x) => write!(f, "{x}"),
            Param::Text(text) => write!(f, "{:?}", crate::server::refusal::echo(text)),
        }
    }
}

struct ParamVisitor;

impl Visitor<'_> for ParamVisitor {
    type Value = Param;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a parameter value: a bool, a number or a string")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Param, E> {
        Ok(Param::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Param, E> {
        Ok(Param::Int(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Param, E> {
        Ok(Param::UInt(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Param, E> {
        Ok(Param::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Param, E> {
        let text = Text::deserialize(de::value::StrDeserializer::<E>::new(value))?;
        Ok(Param::Text(text.0))
    }
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ParamVisitor)
    }
}

impl<'de> Deserialize<'de> for Parameters {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Parameters;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a `parameters` object of at most {MAX_PARAMETERS} entries"
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parameters, A::Error> {
                let mut entries = Vec::new();
                while let Some(Text(key)) = map.next_key()? {
                    if entries.len() == MAX_PARAMETERS {
                        let message =
                            crate::server::parse_limits::too_many("`parameters`", MAX_PARAMETERS);
                        return Err(de::Error::custom(message));
                    }
                    entries.push((key, map.next_value()?));
                }
                Ok(Parameters(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<RequestJson, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    fn refusal(json: &str) -> String {
        parse(json).err().expect("refused")
    }

    #[test]
    fn a_request_within_the_limits_reads_as_before() {
        let request = parse(
            r#"{"id":"7","parameters":{"binary_data_output":true,"n":-3,"x":0.5,"s":"t"},
                "inputs":[{"name":"image","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":9}}],
                "outputs":[{"name":"size","parameters":{"binary_data":false}}]}"#,
        )
        .unwrap();
        assert_eq!(request.id.0, "7");
        assert_eq!(
            request.parameters.get("binary_data_output"),
            Some(&Param::Bool(true))
        );
        assert_eq!(request.parameters.get("n"), Some(&Param::Int(-3)));
        let input = &request.inputs[0];
        assert_eq!(
            input
                .parameters
                .get("binary_data_size")
                .and_then(Param::as_u64),
            Some(9)
        );
        assert_eq!(request.outputs.unwrap()[0].name.0, "size");
    }

    #[test]
    fn lists_maps_and_texts_past_the_limits_are_refused_by_name() {
        let zeros = vec!["0"; 1000].join(",");
        let err = refusal(&format!(
            r#"{{"parameters":{{"p":[{zeros}]}},"inputs":[]}}"#
        ));
        assert!(err.contains("a parameter value"), "{err}");
        let many: Vec<String> = (0..65).map(|i| format!(r#""k{i}":1"#)).collect();
        let err = refusal(&format!(
            r#"{{"parameters":{{{}}},"inputs":[]}}"#,
            many.join(",")
        ));
        assert!(err.contains("`parameters` holds more than 64"), "{err}");
        let one = r#"{"name":"image","datatype":"BYTES","shape":[1]}"#;
        let inputs = vec![one; 65].join(",");
        let err = refusal(&format!(r#"{{"inputs":[{inputs}]}}"#));
        assert!(err.contains("`inputs` holds more than 64"), "{err}");
        let dims = vec!["1"; 33].join(",");
        let input = format!(r#"{{"name":"image","datatype":"BYTES","shape":[{dims}]}}"#);
        let err = refusal(&format!(r#"{{"inputs":[{input}]}}"#));
        assert!(err.contains("`shape` holds more than 32"), "{err}");
        let err = refusal(&format!(r#"{{"id":"{}","inputs":[]}}"#, "i".repeat(5000)));
        assert!(err.contains("5000 bytes long"), "{err}");
    }

    /// `n` comma-separated items made by `item(i)`.
    fn items(n: usize, item: impl Fn(usize) -> String) -> String {
        (0..n).map(item).collect::<Vec<_>>().join(",")
    }

    /// Each count limit admits a body at the limit and refuses one past
    /// it, naming the list and the limit.
    #[test]
    fn each_count_admits_its_limit_and_refuses_one_more_by_name() {
        let entries = |n| format!("{{{}}}", items(n, |i| format!(r#""k{i}":1"#)));
        let outputs = |n| {
            let list = items(n, |i| format!(r#"{{"name":"o{i}"}}"#));
            format!(r#"{{"inputs":[],"outputs":[{list}]}}"#)
        };
        let data = |n| {
            let list = items(n, |_| r#""AAAA""#.to_string());
            format!(
                r#"{{"inputs":[{{"name":"image","datatype":"BYTES","shape":[1],"data":[{list}]}}]}}"#
            )
        };
        let output_parameters = |n| {
            let map = entries(n);
            format!(r#"{{"inputs":[],"outputs":[{{"name":"o","parameters":{map}}}]}}"#)
        };
        let input_parameters = |n| {
            let map = entries(n);
            format!(
                r#"{{"inputs":[{{"name":"i","datatype":"BYTES","shape":[1],"parameters":{map}}}]}}"#
            )
        };
        type Case<'a> = (&'a str, &'a dyn Fn(usize) -> String, usize);
        let cases: [Case; 5] = [
            (
                "`outputs` holds more than 64 entries",
                &outputs,
                MAX_TENSORS,
            ),
            ("`data` holds more than 64 entries", &data, MAX_TENSORS),
            (
                "`parameters` holds more than 64",
                &output_parameters,
                MAX_PARAMETERS,
            ),
            (
                "`parameters` holds more than 64",
                &input_parameters,
                MAX_PARAMETERS,
            ),
            (
                "`shape` holds more than 32",
                &|n| {
                    let dims = items(n, |_| "1".into());
                    format!(r#"{{"inputs":[{{"name":"i","datatype":"BYTES","shape":[{dims}]}}]}}"#)
                },
                MAX_SHAPE_DIMS,
            ),
        ];
        for (said, body, limit) in cases {
            parse(&body(limit)).unwrap_or_else(|e| panic!("{said}: at the limit: {e}"));
            let err = refusal(&body(limit + 1));
            assert!(err.contains(said), "{said}: {err}");
        }
    }

    /// A text past 4096 bytes is refused in every field that holds one,
    /// not only the id: a parameter's string value and key, an output's
    /// name, an input's datatype and name; 4096 bytes pass.
    #[test]
    fn every_text_field_admits_4096_bytes_and_refuses_more() {
        use crate::server::parse_limits::MAX_TEXT_BYTES;
        let bodies: [&dyn Fn(&str) -> String; 5] = [
            &|t| format!(r#"{{"parameters":{{"s":"{t}"}},"inputs":[]}}"#),
            &|t| format!(r#"{{"parameters":{{"{t}":1}},"inputs":[]}}"#),
            &|t| format!(r#"{{"inputs":[],"outputs":[{{"name":"{t}"}}]}}"#),
            &|t| format!(r#"{{"inputs":[{{"name":"i","datatype":"{t}","shape":[1]}}]}}"#),
            &|t| format!(r#"{{"inputs":[{{"name":"{t}","datatype":"BYTES","shape":[1]}}]}}"#),
        ];
        for (at, body) in bodies.iter().enumerate() {
            parse(&body(&"t".repeat(MAX_TEXT_BYTES)))
                .unwrap_or_else(|e| panic!("body {at} at the limit: {e}"));
            let err = refusal(&body(&"t".repeat(MAX_TEXT_BYTES + 1)));
            assert!(
                err.contains("is 4097 bytes long; this server accepts at most 4096"),
                "body {at}: {err}"
            );
        }
    }
}

//! How many elements a request body may hold, checked while it is parsed
//! and before anything is built from it: a JSON list or map is counted as
//! serde visits it (past the limit the parse stops, nothing more is
//! allocated), a text is refused past its length. Parsing then costs at
//! most a small multiple of the body, whatever the body repeats (30
//! million empty inputs in 60 MB would otherwise be 2.6 GB of structs).

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// Inputs, outputs, raw contents or `data` elements in one inference
/// request (this server's model takes one input and has one output).
pub const MAX_TENSORS: usize = 64;
/// Entries in one `parameters` map (the request's, an input's, an output's).
pub const MAX_PARAMETERS: usize = 64;
/// Dimensions of one tensor's shape (numpy allows 32 to 64).
pub const MAX_SHAPE_DIMS: usize = 32;
/// Bytes of one name, datatype, id, model name or version, parameter key
/// or string value.
pub const MAX_TEXT_BYTES: usize = 4096;
/// Entries in `/basic`'s `field4` map (the seed sends 100).
pub const MAX_BASIC_ENTRIES: usize = 4096;

/// The refusal of a list or map past its limit, naming both.
pub fn too_many(what: &str, limit: usize) -> String {
    format!("{what} holds more than {limit} entries, the most this server accepts in a request")
}

/// The refusal of a text past [`MAX_TEXT_BYTES`].
pub fn too_long(what: &str, len: usize) -> String {
    format!("{what} is {len} bytes long; this server accepts at most {MAX_TEXT_BYTES}")
}

/// A JSON list of at most `limit` elements of `T` (`what` names it in
/// the refusal), counted as it is read.
pub fn bounded_seq<'de, D, T>(
    deserializer: D,
    what: &'static str,
    limit: usize,
) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Bounded<T> {
        what: &'static str,
        limit: usize,
        item: PhantomData<T>,
    }
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Bounded<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(
                f,
                "a list ({}) of at most {} elements",
                self.what, self.limit
            )
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element()? {
                if items.len() == self.limit {
                    return Err(de::Error::custom(too_many(self.what, self.limit)));
                }
                items.push(item);
            }
            Ok(items)
        }
    }
    deserializer.deserialize_seq(Bounded {
        what,
        limit,
        item: PhantomData,
    })
}

/// A JSON map of at most `limit` entries, each key no longer than
/// [`MAX_TEXT_BYTES`], every value read as `V`, nothing kept: the map is
/// checked, not built.
pub fn check_map<'de, D, V>(
    deserializer: D,
    what: &'static str,
    limit: usize,
) -> Result<(), D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Checked<V> {
        what: &'static str,
        limit: usize,
        value: PhantomData<V>,
    }
    impl<'de, V: Deserialize<'de>> Visitor<'de> for Checked<V> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a map ({}) of at most {} entries", self.what, self.limit)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut entries = 0;
            while let Some(key) = map.next_key::<Text>()? {
                drop(key);
                map.next_value::<V>()?;
                entries += 1;
                if entries > self.limit {
                    return Err(de::Error::custom(too_many(self.what, self.limit)));
                }
            }
            Ok(())
        }
    }
    deserializer.deserialize_map(Checked {
        what,
        limit,
        value: PhantomData::<V>,
    })
}

/// A string of at most [`MAX_TEXT_BYTES`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.len() > MAX_TEXT_BYTES {
            return Err(de::Error::custom(too_long(
                "a name or text field",
                text.len(),
            )));
        }
        Ok(Text(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Lists {
        #[serde(deserialize_with = "three")]
        items: Vec<u8>,
        #[serde(default, deserialize_with = "two_entries")]
        map: (),
    }

    fn three<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        bounded_seq(d, "items", 3)
    }

    fn two_entries<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
        check_map::<D, serde::de::IgnoredAny>(d, "map", 2)
    }

    #[test]
    fn lists_and_maps_past_their_limit_stop_the_parse_by_name() {
        let fits: Lists =
            serde_json::from_str(r#"{"items":[1,2,3],"map":{"a":[1],"b":2}}"#).unwrap();
        let Lists { items, map: () } = fits;
        assert_eq!(items, [1, 2, 3]);
        let over = serde_json::from_str::<Lists>(r#"{"items":[1,2,3,4]}"#)
            .err()
            .unwrap();
        assert!(
            over.to_string().contains("items holds more than 3"),
            "{over}"
        );
        let over = serde_json::from_str::<Lists>(r#"{"items":[],"map":{"a":1,"b":2,"c":3}}"#)
            .err()
            .unwrap();
        assert!(over.to_string().contains("map holds more than 2"), "{over}");
        let long = format!(r#"{{"items":[],"map":{{"{}":1}}}}"#, "k".repeat(5000));
        let over = serde_json::from_str::<Lists>(&long).err().unwrap();
        assert!(over.to_string().contains("5000 bytes long"), "{over}");
    }
}

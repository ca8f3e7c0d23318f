//! One pass over a protobuf message's wire format, field by field,
//! without building anything: what lets the server count a message's
//! repeated fields and measure its strings before prost materializes
//! them (a 2-byte empty element becomes a struct of a hundred bytes or
//! more, so counts, not bytes, are what multiply memory).

use super::parse_limits::{too_long, too_many, MAX_TEXT_BYTES};
use super::refusal::RequestError;
use prost::encoding::{decode_key, decode_varint, WireType};

/// One field's value as the wire carries it.
#[derive(Clone, Copy, Debug)]
pub enum Wire<'a> {
    Varint,
    Fixed64,
    Fixed32,
    /// A string, bytes, an embedded message or a packed list.
    Bytes(&'a [u8]),
}

/// Calls `visit(field number, value)` for each field of `message`, in
/// order; a malformed encoding (a cut varint, a length past the end, a
/// group) is refused as prost would refuse it.
pub fn each_field<'a>(
    message: &'a [u8],
    what: &str,
    mut visit: impl FnMut(u32, Wire<'a>) -> Result<(), RequestError>,
) -> Result<(), RequestError> {
    let malformed = |why: String| RequestError::Malformed(format!("not a {what}: {why}"));
    let mut rest = message;
    while !rest.is_empty() {
        let (number, wire_type) = decode_key(&mut rest).map_err(|e| malformed(e.to_string()))?;
        let value = match wire_type {
            WireType::Varint => {
                decode_varint(&mut rest).map_err(|e| malformed(e.to_string()))?;
                Wire::Varint
            }
            WireType::SixtyFourBit => {
                rest = rest
                    .get(8..)
                    .ok_or_else(|| malformed("a fixed64 cut short".into()))?;
                Wire::Fixed64
            }
            WireType::ThirtyTwoBit => {
                rest = rest
                    .get(4..)
                    .ok_or_else(|| malformed("a fixed32 cut short".into()))?;
                Wire::Fixed32
            }
            WireType::LengthDelimited => {
                let len = decode_varint(&mut rest).map_err(|e| malformed(e.to_string()))?;
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                if len > rest.len() {
                    return Err(malformed(format!(
                        "field {number} is {len} bytes, past the message's end"
                    )));
                }
                let (bytes, after) = rest.split_at(len);
                rest = after;
                Wire::Bytes(bytes)
            }
            WireType::StartGroup | WireType::EndGroup => {
                return Err(malformed(format!(
                    "field {number} is a group (not used by this message)"
                )));
            }
        };
        visit(number, value)?;
    }
    Ok(())
}

/// How many values a packed list of varints holds (each ends with a byte
/// under 0x80).
pub fn packed_varints(packed: &[u8]) -> usize {
    packed.iter().filter(|byte| **byte < 0x80).count()
}

/// Counts one more of `what`, refusing past `limit`.
pub fn count(counter: &mut usize, by: usize, what: &str, limit: usize) -> Result<(), RequestError> {
    *counter = counter.saturating_add(by);
    if *counter > limit {
        return Err(RequestError::Malformed(too_many(what, limit)));
    }
    Ok(())
}

/// Refuses a text field longer than [`MAX_TEXT_BYTES`].
pub fn text(value: Wire<'_>, what: &str) -> Result<(), RequestError> {
    match value {
        Wire::Bytes(text) if text.len() > MAX_TEXT_BYTES => {
            Err(RequestError::Malformed(too_long(what, text.len())))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn walks_what_prost_writes_and_refuses_what_it_cannot_read() {
        let message = crate::wire::content::basic_proto().encode_to_vec();
        let mut fields = Vec::new();
        each_field(&message, "BasicRequest", |number, _| {
            fields.push(number);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            fields.iter().filter(|n| **n == 4).count(),
            crate::wire::content::BASIC_MAP_ENTRIES
        );
        assert_eq!(&fields[..3], [1, 2, 3]);
        let cut = each_field(&message[..message.len() - 1], "BasicRequest", |_, _| Ok(()));
        assert!(cut.is_err());
        assert_eq!(packed_varints(&[1, 0x80, 0x01, 2]), 3);
    }
}

//! A request body as the shared buffers it is made of, in the order they go
//! on the wire. A protobuf message whose `bytes` field is the image is three
//! parts (what comes before the image, the image's own buffer, what comes
//! after it), so sending it copies no image byte: the transport hands each
//! part to the socket as it is, where one contiguous buffer would need the
//! image copied in behind its field key.

use bytes::{Bytes, BytesMut};

#[derive(Clone, Debug, Default)]
pub struct WireBody {
    /// Never an empty part: an empty body has no parts.
    parts: Vec<Bytes>,
}

impl WireBody {
    /// The body made of `parts`, in order (empty ones are left out).
    pub fn from_parts(parts: impl IntoIterator<Item = Bytes>) -> Self {
        WireBody {
            parts: parts.into_iter().filter(|part| !part.is_empty()).collect(),
        }
    }

    /// Bytes in the whole body.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Bytes::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The parts, in the order they are sent.
    pub fn parts(&self) -> &[Bytes] {
        &self.parts
    }

    pub fn into_parts(self) -> Vec<Bytes> {
        self.parts
    }

    /// The body as one buffer: the part itself where there is one (no
    /// copy), the parts copied one after another where there are more. For
    /// what needs the whole body at once (gzip, files, tests), not for the
    /// send path.
    pub fn contiguous(&self) -> Bytes {
        match self.parts.as_slice() {
            [] => Bytes::new(),
            [one] => one.clone(),
            parts => {
                let mut joined = BytesMut::with_capacity(self.len());
                parts.iter().for_each(|part| joined.extend_from_slice(part));
                joined.freeze()
            }
        }
    }
}

impl From<Bytes> for WireBody {
    fn from(bytes: Bytes) -> Self {
        WireBody::from_parts([bytes])
    }
}

impl From<Vec<u8>> for WireBody {
    fn from(bytes: Vec<u8>) -> Self {
        WireBody::from(Bytes::from(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_part_is_shared_and_more_are_joined_in_order() {
        let image = Bytes::from_static(b"image");
        let single = WireBody::from(image.clone());
        assert_eq!(single.contiguous().as_ptr(), image.as_ptr(), "no copy");
        let parts = [Bytes::from_static(b"ab"), Bytes::new(), image.clone()];
        let body = WireBody::from_parts(parts);
        assert_eq!(body.parts().len(), 2, "the empty part is left out");
        assert_eq!(body.len(), 7);
        assert_eq!(&body.contiguous()[..], b"abimage");
        assert!(WireBody::from_parts([Bytes::new()]).is_empty());
        assert_eq!(WireBody::default().contiguous(), Bytes::new());
    }
}

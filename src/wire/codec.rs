//! A tonic codec that moves message bytes untouched, so that protobuf
//! encoding and decoding happen in our code, where they are timed as the
//! `serialize`, `server.deserialize`, `server.respond` and `response` stages,
//! instead of inside tonic where no stage could see them; and the 5-byte
//! prefix of a gRPC message on the wire, for the client that frames its
//! own messages and for the saved requests.

use bytes::{Buf, BufMut, Bytes};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::Status;

#[derive(Clone, Copy, Debug, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

/// The 5 bytes before every gRPC message on the wire: 1 where the message
/// is compressed (0 where not), then its length as a big-endian u32
/// (saturated; a message that long is refused by the size limit first).
pub fn grpc_prefix(compressed: bool, len: usize) -> [u8; 5] {
    let length = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
    [
        u8::from(compressed),
        length[0],
        length[1],
        length[2],
        length[3],
    ]
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

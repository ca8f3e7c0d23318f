//! An HTTP request body that hands a `WireBody`'s shared buffers to hyper
//! one data frame each, in order, so the image buffer reaches the socket's
//! `writev` as it is. For gRPC the frames start with the message's 5-byte
//! prefix (compressed flag, length), which replaces the tonic encoder and
//! its copy of every message into a buffer of its own; a message of at
//! most `ONE_FRAME_BYTES` goes with its prefix in one frame instead, a copy
//! that costs less than the HTTP/2 DATA frame it saves on both sides.

use crate::wire::body::WireBody;
use crate::wire::codec::grpc_prefix;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The largest gRPC message copied behind its prefix into one frame.
const ONE_FRAME_BYTES: usize = 16 * 1024;

#[derive(Debug, Default)]
pub struct PartsBody {
    parts: VecDeque<Bytes>,
    remaining: u64,
}

impl PartsBody {
    /// `body` as it is (REST).
    pub fn new(body: WireBody) -> Self {
        Self::of(body.into_parts())
    }

    /// `message` as one length-prefixed gRPC message; `compressed` says
    /// the message bytes are already compressed (the prefix's flag).
    pub fn grpc_message(message: WireBody, compressed: bool) -> Self {
        let prefix = grpc_prefix(compressed, message.len());
        if message.len() <= ONE_FRAME_BYTES {
            let mut framed = Vec::with_capacity(prefix.len() + message.len());
            framed.extend_from_slice(&prefix);
            for part in message.parts() {
                framed.extend_from_slice(part);
            }
            return Self::of(vec![framed.into()]);
        }
        let prefix = Bytes::copy_from_slice(&prefix);
        Self::of(
            std::iter::once(prefix)
                .chain(message.into_parts())
                .collect(),
        )
    }

    fn of(parts: Vec<Bytes>) -> Self {
        PartsBody {
            remaining: parts.iter().map(|part| part.len() as u64).sum(),
            parts: parts.into(),
        }
    }
}

impl Body for PartsBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let next = this.parts.pop_front().map(|part| {
            this.remaining -= part.len() as u64;
            Ok(Frame::data(part))
        });
        Poll::Ready(next)
    }

    fn is_end_stream(&self) -> bool {
        self.parts.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn frames(mut body: PartsBody) -> Vec<Bytes> {
        let mut frames = Vec::new();
        while let Some(frame) = body.frame().await {
            frames.push(frame.unwrap().into_data().unwrap());
        }
        assert!(body.is_end_stream());
        frames
    }

    #[tokio::test]
    async fn frames_are_the_parts_in_order_behind_a_grpc_prefix() {
        let image = Bytes::from(vec![7u8; ONE_FRAME_BYTES]);
        let message = WireBody::from_parts([Bytes::from_static(b"\x0a\x05"), image.clone()]);
        let length = ONE_FRAME_BYTES as u32 + 2;
        let body = PartsBody::grpc_message(message, false);
        assert_eq!(body.size_hint().exact(), Some(5 + u64::from(length)));
        let frames = frames(body).await;
        assert_eq!(frames[0][..], [&[0][..], &length.to_be_bytes()].concat());
        assert_eq!(&frames[1][..], b"\x0a\x05");
        assert_eq!(
            frames[2].as_ptr(),
            image.as_ptr(),
            "the image is not copied"
        );
        let rest = PartsBody::new(WireBody::from(image.clone()));
        assert_eq!(rest.size_hint().exact(), Some(ONE_FRAME_BYTES as u64));
        assert_eq!(rest.collect().await.unwrap().to_bytes(), image);
    }

    #[tokio::test]
    async fn a_small_message_goes_in_one_frame_behind_its_prefix() {
        let message = WireBody::from_parts([Bytes::from_static(b"\x0a\x05"), "image".into()]);
        let body = PartsBody::grpc_message(message, true);
        assert_eq!(body.size_hint().exact(), Some(5 + 7));
        assert_eq!(frames(body).await, [&b"\x01\0\0\0\x07\x0a\x05image"[..]]);
    }
}

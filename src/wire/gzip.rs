//! Message compression (`--compression gzip`): the one gzip both sides use
//! for REST bodies (`Content-Encoding: gzip`), at the level tonic uses for
//! gRPC messages (6), so the two protocols compress alike.

use clap::ValueEnum;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::Serialize;
use std::io::{Read, Write};

/// How request bodies are compressed on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Bodies go as they are.
    #[default]
    None,
    /// gzip at level 6: `Content-Encoding: gzip` on REST, `grpc-encoding: gzip` on gRPC.
    Gzip,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
        }
    }
}

/// gzip level 6, as tonic compresses gRPC messages.
pub fn compress(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(body.len() / 2 + 64),
        flate2::Compression::new(6),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}

/// Why a gzip body was refused.
#[derive(Debug, thiserror::Error)]
pub enum GunzipError {
    #[error("the body is not valid gzip: {0}")]
    Invalid(std::io::Error),
    #[error("the body inflates past {limit} bytes")]
    TooLarge { limit: usize },
}

/// Inflates `body`, refusing to produce more than `limit` bytes (a small
/// body can inflate without bound).
pub fn decompress(body: &[u8], limit: usize) -> Result<Vec<u8>, GunzipError> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(2).min(limit));
    GzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(GunzipError::Invalid)?;
    if out.len() > limit {
        return Err(GunzipError::TooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_bombs_and_garbage() {
        let body = vec![7u8; 100_000];
        let packed = compress(&body);
        assert!(packed.len() < 1_000, "{} bytes", packed.len());
        assert_eq!(decompress(&packed, body.len()).unwrap(), body);
        assert!(matches!(
            decompress(&packed, body.len() - 1),
            Err(GunzipError::TooLarge { .. })
        ));
        assert!(matches!(
            decompress(b"not gzip", 100),
            Err(GunzipError::Invalid(_))
        ));
        assert!(matches!(
            decompress(&packed[..packed.len() / 2], body.len()),
            Err(GunzipError::Invalid(_))
        ));
    }
}

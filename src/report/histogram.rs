//! A stage's latency histogram as text a JSON report can carry and a merge
//! can add: HdrHistogram's V2 format with DEFLATE, in base64 (the form
//! HdrHistogram's own tools read), and back; and the keys the report's
//! `histograms` holds beside the stages' names.

use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// `histograms` key of the wall latency from the actual send.
pub const LATENCY: &str = "latency";
/// `histograms` key of the latency from the due time (open load).
pub const LATENCY_CORRECTED: &str = "latency_corrected";

/// A histogram that could not be read back, or two that cannot be added.
#[derive(Debug, thiserror::Error)]
pub enum HistogramError {
    #[error("a histogram is not base64: {0}")]
    NotBase64(#[from] base64::DecodeError),
    #[error("a histogram is not HdrHistogram V2: {0:?}")]
    NotV2(hdrhistogram::serialization::DeserializeError),
    #[error("two histograms cannot be added: {0:?}")]
    CannotAdd(hdrhistogram::errors::AdditionError),
}

/// The histogram as base64 of its V2 + DEFLATE serialization.
pub fn encode(histogram: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(histogram, &mut bytes)
        .expect("serializing into memory cannot fail");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads back what [`encode`] wrote (or HdrHistogram's tools write).
pub fn decode(text: &str) -> Result<Histogram<u64>, HistogramError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim())?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(HistogramError::NotV2)
}

/// `total` with `part` added in: counts per bucket summed, so every
/// percentile of the sum is the percentile of the pooled samples.
pub fn add(total: &mut Histogram<u64>, part: &Histogram<u64>) -> Result<(), HistogramError> {
    total.add(part).map_err(HistogramError::CannotAdd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::histogram as of_samples;

    fn samples(seed: u64, n: usize) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                1_000 + (x >> 40) % 5_000_000
            })
            .collect()
    }

    #[test]
    fn shards_added_give_the_pooled_samples_percentiles() {
        let shards: Vec<Vec<u64>> = (1..=4)
            .map(|s| samples(s, 2_000 + s as usize * 300))
            .collect();
        let pooled: Vec<u64> = shards.concat();
        let mut merged = of_samples(&[]);
        for shard in &shards {
            let text = encode(&of_samples(shard));
            add(&mut merged, &decode(&text).unwrap()).unwrap();
        }
        let reference = of_samples(&pooled);
        assert_eq!(merged.len(), pooled.len() as u64);
        for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(
                merged.value_at_quantile(q),
                reference.value_at_quantile(q),
                "q {q}"
            );
        }
        // And against the exact nearest-rank percentile of the pooled
        // samples, within the histograms' 3 significant digits.
        let mut sorted = pooled.clone();
        sorted.sort_unstable();
        for q in [0.5, 0.99, 0.999] {
            let exact = sorted[((q * sorted.len() as f64).ceil() as usize).max(1) - 1] as f64;
            let merged_q = merged.value_at_quantile(q) as f64;
            assert!(
                (merged_q - exact).abs() / exact <= 1e-3,
                "q {q}: {merged_q} vs {exact}"
            );
        }
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(decode("not base64 !!")
            .unwrap_err()
            .to_string()
            .contains("base64"));
        assert!(decode("aGVsbG8=").unwrap_err().to_string().contains("V2"));
    }
}

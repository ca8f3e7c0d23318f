//! The encode decision on a link: per encoder setting, server decoder and
//! link, the cost of a frame end to end (encode + bytes x 8 / bandwidth +
//! rtt + decode: one frame per request, serial), the frames/s one client
//! core sustains encoding (1 / encode), and the pipelined bound
//! (1 / max(encode, transfer, decode)); then, per link, the cheapest
//! setting and the one with the most frames/s.

use super::results::{Crossover, DecodeRow, LinkCost, Row};
use crate::link::LinkSpec;
use std::time::Duration;

/// The model in one sentence, for the report's settings and header.
pub const MODEL: &str = "one frame per request, serial: mean encode at the first thread count + \
                         encoded bytes x 8 / bandwidth + rtt + mean server decode; pipelined: \
                         1 / max(encode, transfer, decode), the client, the link and the server \
                         each busy with another frame";

/// The link speeds of the crossover when no `--link` is given.
pub const DEFAULT_SPEEDS: [f64; 4] = [100e6, 1e9, 10e9, 25e9];

/// One frame's figures on one link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Projection {
    pub transfer_ns: u64,
    pub end_to_end_ns: u64,
    pub client_frames_per_s: Option<f64>,
    pub pipelined_frames_per_s: Option<f64>,
}

/// The arithmetic: `bytes` on `link` between an encode and a decode.
pub fn project(encode_ns: u64, bytes: u64, decode_ns: u64, link: &LinkSpec) -> Projection {
    let transfer_ns = transfer_ns(bytes, link);
    let rtt_ns = nanos(link.rtt);
    let per_second = |ns: u64| (ns > 0).then(|| 1e9 / ns as f64);
    Projection {
        transfer_ns,
        end_to_end_ns: encode_ns
            .saturating_add(transfer_ns)
            .saturating_add(rtt_ns)
            .saturating_add(decode_ns),
        client_frames_per_s: per_second(encode_ns),
        pipelined_frames_per_s: per_second(encode_ns.max(transfer_ns).max(decode_ns)),
    }
}

/// How long `bytes` occupy the link, to the nearest nanosecond.
pub fn transfer_ns(bytes: u64, link: &LinkSpec) -> u64 {
    match link.bits_per_second {
        Some(bps) if bps > 0.0 => (bytes as f64 * 8.0 * 1e9 / bps).round() as u64,
        Some(_) => u64::MAX,
        None => 0,
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// Every measured row at `threads` x each of its decodes that ran x every
/// link, in that order.
pub fn link_costs(
    rows: &[Row],
    decodes: &[DecodeRow],
    links: &[LinkSpec],
    threads: usize,
) -> Vec<LinkCost> {
    let mut costs = Vec::new();
    for row in rows {
        let (Some(speed), Some(fidelity)) = (row.speed, row.fidelity) else {
            continue;
        };
        if speed.threads != threads {
            continue;
        }
        let of_row = decodes
            .iter()
            .filter(|d| (&d.size, d.encoder, d.quality) == (&row.size, row.encoder, row.quality));
        for decode in of_row {
            let Some(decoded) = decode.speed else {
                continue;
            };
            for link in links {
                let (encode_ns, decode_ns) = (speed.mean_frame_ns, decoded.decode_mean_frame_ns);
                let bytes = fidelity.mean_encoded_bytes;
                let projection = project(encode_ns, bytes, decode_ns, link);
                costs.push(LinkCost {
                    size: row.size.clone(),
                    encoder: row.encoder,
                    quality: row.quality,
                    decoder: decode.decoder,
                    link: *link,
                    threads,
                    encoded_bytes: bytes,
                    encode_ns,
                    transfer_ns: projection.transfer_ns,
                    rtt_ns: nanos(link.rtt),
                    decode_ns,
                    end_to_end_ns: projection.end_to_end_ns,
                    client_frames_per_s: projection.client_frames_per_s,
                    pipelined_frames_per_s: projection.pipelined_frames_per_s,
                    psnr_y_db: fidelity.quality.psnr_y_db,
                    psnr_rgb_db: fidelity.quality.psnr_rgb_db,
                    ssim_y: fidelity.quality.ssim_y,
                });
            }
        }
    }
    costs
}

/// Per size (in the order of `sizes`) and link: the lowest cost end to end
/// and the most pipelined frames/s (the first listed wins a tie).
pub fn crossover(costs: &[LinkCost], sizes: &[String], links: &[LinkSpec]) -> Vec<Crossover> {
    let mut table = Vec::new();
    for size in sizes {
        for link in links {
            let at = || costs.iter().filter(|c| &c.size == size && c.link == *link);
            let cheapest = at().reduce(|best, c| {
                if c.end_to_end_ns < best.end_to_end_ns {
                    c
                } else {
                    best
                }
            });
            let rate = |c: &LinkCost| c.pipelined_frames_per_s.unwrap_or(f64::INFINITY);
            let fastest = at().reduce(|best, c| if rate(c) > rate(best) { c } else { best });
            if let (Some(cheapest), Some(fastest)) = (cheapest, fastest) {
                table.push(Crossover {
                    size: size.clone(),
                    link: *link,
                    cheapest: cheapest.clone(),
                    most_frames_per_s: fastest.clone(),
                });
            }
        }
    }
    table
}

/// A link's bandwidth as people say it: `100 Mbit/s`, `2.5 Gbit/s`, `inf`.
pub fn bandwidth_label(link: &LinkSpec) -> String {
    let Some(bps) = link.bits_per_second else {
        return "inf".to_string();
    };
    let (value, unit) = [(1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "kbit/s")]
        .into_iter()
        .find(|(scale, _)| bps >= *scale)
        .map_or((bps, "bit/s"), |(scale, unit)| (bps / scale, unit));
    format!("{} {unit}", trim_number(value))
}

/// The bandwidth and, where not zero, the rtt: `1 Gbit/s, rtt 2 ms`.
pub fn link_label(link: &LinkSpec) -> String {
    let bandwidth = bandwidth_label(link);
    if link.rtt.is_zero() {
        return bandwidth;
    }
    let ms = link.rtt.as_secs_f64() * 1e3;
    format!("{bandwidth}, rtt {} ms", trim_number(ms))
}

/// `2.50` -> `2.5`, `100.00` -> `100`.
fn trim_number(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::encoders::EncoderChoice;
    use crate::encode::measure::{Fidelity, Speed};
    use crate::encode::quality::Quality;
    use crate::encode::results::DecodeSpeed;
    use crate::server::ServerDecoder;

    fn link(text: &str) -> LinkSpec {
        text.parse().unwrap()
    }

    #[test]
    fn known_bytes_on_a_known_link_cost_known_milliseconds() {
        // 1,250,000 bytes = 10 Mbit: 100 ms at 100 Mbit/s, 10 ms at 1 Gbit/s.
        let slow = project(2_000_000, 1_250_000, 3_000_000, &link("bw=100mbit,rtt=4ms"));
        assert_eq!(slow.transfer_ns, 100_000_000);
        assert_eq!(
            slow.end_to_end_ns,
            2_000_000 + 100_000_000 + 4_000_000 + 3_000_000
        );
        assert_eq!(slow.client_frames_per_s, Some(500.0));
        assert_eq!(
            slow.pipelined_frames_per_s,
            Some(10.0),
            "the link bounds it"
        );
        let fast = project(2_000_000, 1_250_000, 3_000_000, &link("bw=10gbit"));
        assert_eq!(fast.transfer_ns, 1_000_000);
        assert_eq!(fast.end_to_end_ns, 6_000_000);
        let bound = fast.pipelined_frames_per_s.unwrap();
        assert!(
            (bound - 1e9 / 3e6).abs() < 1e-9,
            "the decode bounds it: {bound}"
        );
        let unlimited = project(0, 1_250_000, 0, &link("bw=inf"));
        assert_eq!(unlimited.end_to_end_ns, 0);
        assert_eq!(unlimited.client_frames_per_s, None);
        assert_eq!(unlimited.pipelined_frames_per_s, None);
    }

    fn row(encoder: EncoderChoice, quality: Option<u8>, bytes: u64, encode_ns: u64) -> Row {
        let speed = Speed {
            threads: 1,
            frames: 10,
            p50_frame_ns: encode_ns,
            p99_frame_ns: encode_ns,
            mean_frame_ns: encode_ns,
            wall_ns: encode_ns * 10,
            megapixels_per_s: 1.0,
        };
        let psnr = quality.map(|q| f64::from(q) / 2.0);
        Row {
            size: "1080x1920".into(),
            encoder,
            quality,
            subsampling: None,
            frame_pool_size: 4,
            error: None,
            speed: Some(speed),
            fidelity: Some(Fidelity {
                mean_encoded_bytes: bytes,
                bits_per_pixel: 1.0,
                quality: Quality {
                    psnr_y_db: psnr,
                    psnr_rgb_db: psnr,
                    ssim_y: if quality.is_some() { 0.95 } else { 1.0 },
                },
            }),
        }
    }

    fn decoded(row: &Row, decode_ns: u64) -> DecodeRow {
        DecodeRow {
            size: row.size.clone(),
            encoder: row.encoder,
            quality: row.quality,
            decoder: ServerDecoder::Turbojpeg,
            error: None,
            speed: Some(DecodeSpeed {
                decode_frames: 10,
                decode_p50_frame_ns: decode_ns,
                decode_p99_frame_ns: decode_ns,
                decode_mean_frame_ns: decode_ns,
            }),
        }
    }

    #[test]
    fn raw_wins_on_fast_links_and_jpeg_on_slow_ones() {
        // 1080p: raw 6,220,800 bytes copied in 1 ms; q90 about 420 kB in
        // 12 ms, decoded in 5 ms; q50 about 150 kB in 10 ms, 4 ms.
        let rows = [
            row(EncoderChoice::None, None, 6_220_800, 1_000_000),
            row(EncoderChoice::Turbojpeg, Some(90), 420_000, 12_000_000),
            row(EncoderChoice::Turbojpeg, Some(50), 150_000, 10_000_000),
        ];
        let decodes = [
            decoded(&rows[0], 50_000),
            decoded(&rows[1], 5_000_000),
            decoded(&rows[2], 4_000_000),
        ];
        let links: Vec<LinkSpec> = DEFAULT_SPEEDS
            .iter()
            .map(|&bps| LinkSpec {
                bits_per_second: Some(bps),
                rtt: Duration::ZERO,
            })
            .collect();
        let costs = link_costs(&rows, &decodes, &links, 1);
        assert_eq!(costs.len(), 3 * 4);
        assert!(link_costs(&rows, &decodes, &links, 2).is_empty());
        let sizes = ["1080x1920".to_string()];
        let table = crossover(&costs, &sizes, &links);
        let cheapest: Vec<(EncoderChoice, Option<u8>)> = table
            .iter()
            .map(|c| (c.cheapest.encoder, c.cheapest.quality))
            .collect();
        // 100 Mbit/s: q50 26 ms vs raw 498 ms; 1 Gbit/s: q50 15.2 ms vs raw
        // 50.8 ms; 10 Gbit/s: raw 6.0 ms vs q50 14.1 ms; 25 Gbit/s: raw 3.0 ms.
        let expected = [
            (EncoderChoice::Turbojpeg, Some(50)),
            (EncoderChoice::Turbojpeg, Some(50)),
            (EncoderChoice::None, None),
            (EncoderChoice::None, None),
        ];
        assert_eq!(cheapest, expected);
        let raw_at_10g = &table[2].cheapest;
        assert_eq!(raw_at_10g.end_to_end_ns, 1_000_000 + 4_976_640 + 50_000);
        assert_eq!((raw_at_10g.psnr_rgb_db, raw_at_10g.ssim_y), (None, 1.0));
        // Pipelined at 100 Mbit/s the link bounds all; q50 sends least.
        assert_eq!(table[0].most_frames_per_s.quality, Some(50));
        // At 25 Gbit/s raw's 2 ms transfer beats q50's 10 ms encode.
        assert_eq!(table[3].most_frames_per_s.encoder, EncoderChoice::None);
    }

    #[test]
    fn links_are_labelled_as_people_say_them() {
        assert_eq!(link_label(&link("bw=100mbit")), "100 Mbit/s");
        assert_eq!(
            link_label(&link("bw=2.5gbit,rtt=500us")),
            "2.5 Gbit/s, rtt 0.5 ms"
        );
        assert_eq!(link_label(&link("bw=inf,rtt=2ms")), "inf, rtt 2 ms");
        assert_eq!(bandwidth_label(&link("bw=64kbit")), "64 kbit/s");
    }
}

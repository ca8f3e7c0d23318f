//! Hostile JPEGs made in the test itself: a valid greyscale or colour
//! (YCbCr 4:4:4) progressive JPEG with as many scans as asked (every scan
//! passes over the whole image, so pixels x scans is the decoder's work,
//! from a few hundred bytes per scan), and the same with a scan repeated
//! (an impossible progression, which libjpeg-turbo only warns about); and
//! the gRPC `BinaryImage` message that carries one.

/// Bits written MSB first, with the 0x00 stuffed after every 0xFF.
struct Bits {
    out: Vec<u8>,
    byte: u32,
    filled: u32,
}

impl Bits {
    fn new() -> Self {
        Bits {
            out: Vec::new(),
            byte: 0,
            filled: 0,
        }
    }

    fn put(&mut self, value: u32, bits: u32) {
        for i in (0..bits).rev() {
            self.byte = (self.byte << 1) | ((value >> i) & 1);
            self.filled += 1;
            if self.filled == 8 {
                self.push();
            }
        }
    }

    fn push(&mut self) {
        let byte = self.byte as u8;
        self.out.push(byte);
        if byte == 0xFF {
            self.out.push(0);
        }
        self.byte = 0;
        self.filled = 0;
    }

    /// The entropy-coded bytes, the last one padded with 1s.
    fn finish(mut self) -> Vec<u8> {
        if self.filled > 0 {
            let pad = 8 - self.filled;
            self.put((1 << pad) - 1, pad);
        }
        self.out
    }
}

fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// One scan: its components (ids from 1), spectral band `ss..=se`,
/// successive approximation `ah`/`al`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Scan {
    components: &'static [u8],
    band: (u8, u8, u8, u8),
}

/// Writes `scan`'s header, then its entropy-coded data.
fn scan(out: &mut Vec<u8>, scan: Scan, data: &[u8]) {
    let mut header = vec![scan.components.len() as u8];
    for &id in scan.components {
        header.extend_from_slice(&[id, 0x00]);
    }
    let (ss, se, ah, al) = scan.band;
    header.extend_from_slice(&[ss, se, (ah << 4) | al]);
    segment(out, 0xDA, &header);
    out.extend_from_slice(data);
}

/// DC scan data: every block's difference is 0 (DC code "0", one bit).
fn dc_data(blocks: usize) -> Vec<u8> {
    let mut bits = Bits::new();
    for _ in 0..blocks {
        bits.put(0, 1);
    }
    bits.finish()
}

/// AC scan data: every block all zero, said as end-of-band runs (the AC
/// table codes EOBr, r = 0..14, as r in 4 bits).
fn ac_data(blocks: usize) -> Vec<u8> {
    let mut bits = Bits::new();
    let mut left = blocks;
    while left > 0 {
        let run = left.min(32767);
        let r = usize::BITS - 1 - run.leading_zeros();
        bits.put(r, 4);
        bits.put((run - (1 << r)) as u32, r);
        left -= run;
    }
    bits.finish()
}

const GREY: &[u8] = &[1];
const YCBCR: [&[u8]; 3] = [&[1], &[2], &[3]];

/// The scans of a greyscale progression with `count` scans: the DC scan,
/// then for each AC coefficient its first scan (Al 13) and refinements to
/// Al 0.
fn progression(count: usize) -> Vec<Scan> {
    let mut scans = vec![Scan {
        components: GREY,
        band: (0, 0, 0, 0),
    }];
    scans.extend(ac_scans(&[GREY]));
    assert!(count <= scans.len(), "at most {} scans", scans.len());
    scans.truncate(count);
    scans
}

/// For each AC coefficient, for each component, its first scan and its
/// refinements (AC scans hold one component each).
fn ac_scans(components: &[&'static [u8]]) -> Vec<Scan> {
    let mut scans = Vec::new();
    for k in 1..=63u8 {
        for &component in components {
            let band = |ah, al| Scan {
                components: component,
                band: (k, k, ah, al),
            };
            scans.push(band(0, 13));
            scans.extend((0..13u8).rev().map(|al| band(al + 1, al)));
        }
    }
    scans
}

/// The scans of a colour progression with `count` scans, each as costly
/// as scans can be: first the DC scans of all three components together
/// (its first, Al 13, and its 13 refinements), then the AC scans.
fn colour_progression(count: usize) -> Vec<Scan> {
    let all = &[1, 2, 3];
    let mut scans = vec![Scan {
        components: all,
        band: (0, 0, 0, 13),
    }];
    scans.extend((0..13u8).rev().map(|al| Scan {
        components: all,
        band: (0, 0, al + 1, al),
    }));
    scans.extend(ac_scans(&YCBCR));
    assert!(count <= scans.len(), "at most {} scans", scans.len());
    scans.truncate(count);
    scans
}

/// A greyscale progressive JPEG of `width` x `height` with `scans` scans
/// (1 to 883), which libjpeg-turbo decodes without a warning.
pub fn progressive(width: u16, height: u16, scans: usize) -> Vec<u8> {
    with_progression(width, height, 1, &progression(scans))
}

/// A colour (YCbCr, every component at full resolution) progressive JPEG
/// of `width` x `height` with `scans` scans (1 to 2,660): the first 14
/// each pass over all three components, the rest over one.
pub fn progressive_colour(width: u16, height: u16, scans: usize) -> Vec<u8> {
    with_progression(width, height, 3, &colour_progression(scans))
}

/// [`progressive`] (at least 3 scans) with its first refinement scan said
/// twice: libjpeg-turbo warns "Inconsistent progression sequence" at the
/// second.
pub fn repeated_scan(width: u16, height: u16, scans: usize) -> Vec<u8> {
    let mut order = progression(scans);
    order.insert(3, order[2]);
    with_progression(width, height, 1, &order)
}

fn with_progression(width: u16, height: u16, components: u8, order: &[Scan]) -> Vec<u8> {
    let blocks = usize::from(width).div_ceil(8) * usize::from(height).div_ceil(8);
    let mut out = vec![0xFF, 0xD8];
    let mut dqt = vec![0u8];
    dqt.extend_from_slice(&[1; 64]);
    segment(&mut out, 0xDB, &dqt);
    let mut sof = vec![8];
    sof.extend_from_slice(&height.to_be_bytes());
    sof.extend_from_slice(&width.to_be_bytes());
    sof.push(components);
    for id in 1..=components {
        sof.extend_from_slice(&[id, 0x11, 0]);
    }
    segment(&mut out, 0xC2, &sof);
    // DC table 0: one code of 1 bit, category 0.
    let mut dht = vec![0x00, 1];
    dht.extend_from_slice(&[0; 15]);
    dht.push(0x00);
    // AC table 0: fifteen codes of 4 bits, EOB0 to EOB14.
    dht.push(0x10);
    dht.extend_from_slice(&[0, 0, 0, 15]);
    dht.extend_from_slice(&[0; 12]);
    dht.extend((0..15u8).map(|r| r << 4));
    segment(&mut out, 0xC4, &dht);
    // A DC scan codes one bit per block of each of its components.
    let dc: Vec<Vec<u8>> = (1..=3).map(|n| dc_data(blocks * n)).collect();
    let ac = ac_data(blocks);
    for &each in order {
        let data = match each.band.0 {
            0 => &dc[each.components.len() - 1],
            _ => &ac,
        };
        scan(&mut out, each, data);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// The gRPC `BinaryImage` message for a JPEG of `width` x `height`.
pub fn binary_message(jpeg: &[u8], (width, height): (u16, u16)) -> Vec<u8> {
    use imgwire::wire::proto::imgwire as pb;
    use prost::Message;
    pb::BinaryImageRequest {
        image: bytes::Bytes::copy_from_slice(jpeg),
        info: Some(pb::ImageInfo {
            width: u32::from(width),
            height: u32::from(height),
            channels: 3,
            format: pb::ImageFormat::Jpeg as i32,
        }),
    }
    .encode_to_vec()
}

//! Hostile JPEGs made in the test itself: a valid greyscale progressive
//! JPEG with as many scans as asked (every scan passes over the whole
//! image, so pixels x scans is the decoder's work, from a few hundred
//! bytes per scan), and the same with a scan repeated (an impossible
//! progression, which libjpeg-turbo only warns about); and the gRPC
//! `BinaryImage` message that carries one.

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

/// One scan of the one component: spectral band `ss..=se`, successive
/// approximation `ah`/`al`, then its entropy-coded data.
fn scan(out: &mut Vec<u8>, (ss, se, ah, al): (u8, u8, u8, u8), data: &[u8]) {
    segment(out, 0xDA, &[1, 1, 0x00, ss, se, (ah << 4) | al]);
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

/// The scans of a progression with `count` scans: the DC scan, then for
/// each AC coefficient its first scan (Al 13) and refinements to Al 0.
fn progression(count: usize) -> Vec<(u8, u8, u8, u8)> {
    let mut scans = vec![(0, 0, 0, 0)];
    for k in 1..=63u8 {
        scans.push((k, k, 0, 13));
        for al in (0..13u8).rev() {
            scans.push((k, k, al + 1, al));
        }
    }
    assert!(count <= scans.len(), "at most {} scans", scans.len());
    scans.truncate(count);
    scans
}

/// A greyscale progressive JPEG of `width` x `height` with `scans` scans
/// (1 to 883), which libjpeg-turbo decodes without a warning.
pub fn progressive(width: u16, height: u16, scans: usize) -> Vec<u8> {
    with_progression(width, height, &progression(scans))
}

/// [`progressive`] (at least 3 scans) with its first refinement scan said
/// twice: libjpeg-turbo warns "Inconsistent progression sequence" at the
/// second.
pub fn repeated_scan(width: u16, height: u16, scans: usize) -> Vec<u8> {
    let mut order = progression(scans);
    order.insert(3, order[2]);
    with_progression(width, height, &order)
}

fn with_progression(width: u16, height: u16, order: &[(u8, u8, u8, u8)]) -> Vec<u8> {
    let blocks = usize::from(width).div_ceil(8) * usize::from(height).div_ceil(8);
    let mut out = vec![0xFF, 0xD8];
    let mut dqt = vec![0u8];
    dqt.extend_from_slice(&[1; 64]);
    segment(&mut out, 0xDB, &dqt);
    let mut sof = vec![8];
    sof.extend_from_slice(&height.to_be_bytes());
    sof.extend_from_slice(&width.to_be_bytes());
    sof.extend_from_slice(&[1, 1, 0x11, 0]);
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
    let (dc, ac) = (dc_data(blocks), ac_data(blocks));
    for &band in order {
        scan(&mut out, band, if band.0 == 0 { &dc } else { &ac });
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

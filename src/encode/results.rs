//! The results of `imgwire encode`, as serde structs with the unit in every
//! field name: one row per size x encoder x quality x thread count, the
//! turbojpeg quality sweep, and the encoders paired at equal quality.

use super::encoders::EncoderChoice;
use super::measure::{Fidelity, Speed};
use crate::encoders::Subsampling;
use crate::link::LinkSpec;
use crate::server::ServerDecoder;
use serde::Serialize;

/// Bumped whenever a field of the encode JSON changes meaning or goes away.
pub const ENCODE_SCHEMA_VERSION: u32 = 1;

/// A whole `imgwire encode` run.
#[derive(Clone, Debug, Serialize)]
pub struct EncodeReport {
    pub schema_version: u32,
    pub imgwire_version: &'static str,
    pub command: &'static str,
    pub machine: Machine,
    pub settings: RunSettings,
    pub rows: Vec<Row>,
    /// turbojpeg at each of `settings.reference_qualities`, for pairing.
    pub reference_sweep: Vec<ReferencePoint>,
    pub same_quality: Vec<SameQuality>,
    /// Each encoder setting's output decoded by the server's decoders.
    pub decode: Vec<DecodeRow>,
    /// Per size x setting x decoder x link: the cost of a frame end to end.
    pub link_costs: Vec<LinkCost>,
    /// Per size x link: the cheapest setting, and the one with most frames/s.
    pub crossover: Vec<Crossover>,
    pub notes: Vec<String>,
}

/// Where it ran.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// `/proc/cpuinfo`'s first "model name".
    pub cpu_model: String,
    /// Logical CPUs this process may use.
    pub cpu_cores: usize,
    /// The GPU, its compute capability and driver's CUDA version, and where
    /// nvJPEG came from; null where none was asked for or found.
    pub gpu: Option<String>,
    /// Why the GPU encoders could not run, where they were asked for.
    pub gpu_error: Option<String>,
    /// Each server decoder asked for that cannot run here, and why.
    pub decoders_unavailable: Vec<DecoderUnavailable>,
}

/// A server decoder that was asked for but cannot run on this machine.
#[derive(Clone, Debug, Serialize)]
pub struct DecoderUnavailable {
    pub decoder: ServerDecoder,
    pub reason: String,
}

/// Every choice that shaped the numbers.
#[derive(Clone, Debug, Serialize)]
pub struct RunSettings {
    pub sizes: Vec<String>,
    /// `natural (seed 1)` or `files in DIR`.
    pub frames: String,
    pub frames_per_measurement: usize,
    pub warmup_frames_per_thread: usize,
    pub qualities: Vec<u8>,
    /// As asked; each row says what its encoder applied.
    pub subsampling: Subsampling,
    pub encoders: Vec<EncoderChoice>,
    pub threads: Vec<usize>,
    pub reference_qualities: Vec<u8>,
    /// Frames timed per quality of the reference sweep.
    pub reference_frames_per_measurement: usize,
    pub quality_method: &'static str,
    /// The server decoders asked for (`--server-decoder`).
    pub server_decoders: Vec<ServerDecoder>,
    /// The links the projection is made for, in the order given.
    pub links: Vec<LinkSpec>,
    pub link_model: &'static str,
}

/// One encoder at one setting and thread count; or, with `error`, an
/// encoder that could not run (no speed or fidelity then).
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub size: String,
    pub encoder: EncoderChoice,
    /// Null for raw frames (encoder `none`).
    pub quality: Option<u8>,
    /// The subsampling the encoder applied (image-rs: always 4:4:4; null
    /// for raw frames).
    pub subsampling: Option<Subsampling>,
    /// Distinct frames encoded in turn (and judged for fidelity).
    pub frame_pool_size: usize,
    pub error: Option<String>,
    #[serde(flatten)]
    pub speed: Option<Speed>,
    #[serde(flatten)]
    pub fidelity: Option<Fidelity>,
}

/// turbojpeg at one quality of the sweep.
#[derive(Clone, Debug, Serialize)]
pub struct ReferencePoint {
    pub size: String,
    pub quality: u8,
    pub subsampling: Subsampling,
    #[serde(flatten)]
    pub speed: Speed,
    #[serde(flatten)]
    pub fidelity: Fidelity,
}

/// An encoder beside turbojpeg at the quality whose RGB PSNR is closest,
/// both at the same thread count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SameQuality {
    pub size: String,
    pub encoder: EncoderChoice,
    pub quality: u8,
    pub threads: usize,
    pub psnr_rgb_db: f64,
    pub megapixels_per_s: f64,
    pub bits_per_pixel: f64,
    pub reference_quality: u8,
    pub reference_psnr_rgb_db: f64,
    pub reference_megapixels_per_s: f64,
    pub reference_bits_per_pixel: f64,
    /// The encoder's megapixels per second over turbojpeg's.
    pub speed_ratio: f64,
    /// Where the encoder's PSNR lies outside every quality turbojpeg was
    /// swept over (`above` q100's, or `below` the lowest): the pair is the
    /// nearest end of the sweep, not an equal quality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of_range: Option<OutOfRange>,
}

/// Which end of the reference sweep an encoder's quality lies past.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutOfRange {
    Above,
    Below,
}

/// One encoder setting's output decoded by one server decoder; or, with
/// `error`, a decoder that refused it (no speed then).
#[derive(Clone, Debug, Serialize)]
pub struct DecodeRow {
    pub size: String,
    pub encoder: EncoderChoice,
    pub quality: Option<u8>,
    pub decoder: ServerDecoder,
    pub error: Option<String>,
    #[serde(flatten)]
    pub speed: Option<DecodeSpeed>,
}

/// One encoder setting, decoded by one server decoder, over one link: the
/// cost of a frame end to end and the rates it allows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkCost {
    pub size: String,
    pub encoder: EncoderChoice,
    pub quality: Option<u8>,
    pub decoder: ServerDecoder,
    pub link: LinkSpec,
    /// The thread count whose per-frame encode time is used.
    pub threads: usize,
    /// The encoded frame's mean size: the bytes that cross the link.
    pub encoded_bytes: u64,
    pub encode_ns: u64,
    pub transfer_ns: u64,
    pub rtt_ns: u64,
    pub decode_ns: u64,
    /// encode + transfer + rtt + decode: one frame per request, serial.
    pub end_to_end_ns: u64,
    /// 1 / encode: what one client core sustains encoding (null where the
    /// encode took no measurable time).
    pub client_frames_per_s: Option<f64>,
    /// 1 / max(encode, transfer, decode): client, link and server each
    /// busy with another frame at once.
    pub pipelined_frames_per_s: Option<f64>,
    pub psnr_y_db: Option<f64>,
    pub psnr_rgb_db: Option<f64>,
    pub ssim_y: f64,
}

/// At one link speed: the setting with the lowest cost per frame end to
/// end, and the one with the most frames/s pipelined.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Crossover {
    pub size: String,
    pub link: LinkSpec,
    pub cheapest: LinkCost,
    pub most_frames_per_s: LinkCost,
}

/// What timing one server decoder over one encoder's outputs found.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DecodeSpeed {
    pub decode_frames: usize,
    pub decode_p50_frame_ns: u64,
    pub decode_p99_frame_ns: u64,
    pub decode_mean_frame_ns: u64,
}

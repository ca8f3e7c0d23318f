//! The results of `imgwire encode`, as serde structs with the unit in every
//! field name: one row per size x encoder x quality x thread count, the
//! turbojpeg quality sweep, and the encoders paired at equal quality.

use super::encoders::EncoderChoice;
use super::measure::{Fidelity, Speed};
use crate::encoders::Subsampling;
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
}

/// One encoder at one setting and thread count; or, with `error`, an
/// encoder that could not run (no speed or fidelity then).
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub size: String,
    pub encoder: EncoderChoice,
    pub quality: u8,
    /// The subsampling the encoder applied (image-rs: always 4:4:4).
    pub subsampling: Subsampling,
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

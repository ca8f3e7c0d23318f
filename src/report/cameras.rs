//! What a camera run (`--streams N --fps F`) counted: frames offered, sent,
//! late and dropped, and the frames a second it sustained; and the line
//! the terminal report gives each scenario.

use serde::{Deserialize, Serialize};

/// A scenario's camera figures (its counted run; the warm-up's are not
/// counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CameraFigures {
    pub streams: usize,
    pub fps: f64,
    /// Frames a stream has unanswered at most (`--max-in-flight`).
    pub max_in_flight: usize,
    /// How long the streams offered frames (`--duration`).
    pub duration_s: f64,
    /// streams x fps x duration: every frame that fell due.
    pub frames_offered: usize,
    /// Frames sent; `frames_offered - frames_sent` were dropped.
    pub frames_sent: usize,
    /// Sent frames whose encoded bytes were ready more than one frame
    /// interval (1 / fps) after their due time.
    pub frames_late: usize,
    /// Frames that fell due while their stream had `max_in_flight` frames
    /// unanswered: not sent.
    pub frames_dropped: usize,
    /// Sent frames answered without an error.
    pub frames_completed: usize,
    /// `frames_completed` over the time from the run's start to its last
    /// answer.
    pub sustained_frames_per_s: f64,
}

impl CameraFigures {
    /// `8 x 30 fps for 5 s: 1200 offered, 1180 sent (12 late), 20 dropped,
    /// 236.0 frames/s sustained`.
    pub fn line(&self) -> String {
        format!(
            "{} x {} fps for {} s: {} offered, {} sent ({} late), {} dropped, {:.1} frames/s \
             sustained",
            self.streams,
            self.fps,
            self.duration_s,
            self.frames_offered,
            self.frames_sent,
            self.frames_late,
            self.frames_dropped,
            self.sustained_frames_per_s
        )
    }

    /// The load as the header states it.
    pub fn describe(&self) -> String {
        format!(
            "cameras: {} streams x {} fps, each frame made and encoded live and due at its \
             capture time (streams phased 1/(streams x fps) apart); a frame falling due while \
             its stream has {} unanswered is dropped (--max-in-flight), one ready more than a \
             frame interval after its due time is late; latency from capture to result \
             (coordinated omission corrected), from the actual send beside it",
            self.streams,
            self.fps,
            crate::report::plural(self.max_in_flight, "frame"),
        )
    }
}

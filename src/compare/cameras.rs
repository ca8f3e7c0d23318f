//! Two camera runs side by side: each one's frames offered, sent, late and
//! dropped, the frames a second it sustained with the change, and whether
//! it kept up with its cameras (the latency from capture is the scenario's
//! own change).

use crate::report::camera_capacity::KeepUpRule;
use crate::report::cameras::CameraFigures;
use serde::Serialize;

/// A scenario's camera figures in A and in B (both camera runs).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CameraChange {
    pub a: CameraFigures,
    pub b: CameraFigures,
    /// (B / A - 1) x 100 of the sustained frames a second; null where A
    /// sustained none.
    pub sustained_change_percent: Option<f64>,
    /// Whether A and B each kept up, by the capacity table's rule without
    /// a latency bound (`KeepUpRule`): none failed, at most 1 % dropped and
    /// 1 % late.
    pub kept_up: [bool; 2],
}

impl CameraChange {
    /// The change where both scenarios ran cameras; None otherwise.
    pub fn between(a: Option<CameraFigures>, b: Option<CameraFigures>) -> Option<CameraChange> {
        let (a, b) = (a?, b?);
        let (from, to) = (a.sustained_frames_per_s, b.sustained_frames_per_s);
        Some(CameraChange {
            a,
            b,
            sustained_change_percent: (from > 0.0).then(|| (to / from - 1.0) * 100.0),
            kept_up: [kept_up(&a), kept_up(&b)],
        })
    }

    /// The lines the text gives the pair, unwrapped: the loads, the counts
    /// A -> B, and the sustained rate with which side kept up.
    pub fn lines(&self) -> [String; 3] {
        let (a, b) = (&self.a, &self.b);
        let load =
            |c: &CameraFigures| format!("{} x {} fps for {} s", c.streams, c.fps, c.duration_s);
        let pair =
            |name: &str, f: fn(&CameraFigures) -> usize| format!("{name} {} -> {}", f(a), f(b));
        let counts = [
            pair("offered", |c| c.frames_offered),
            pair("sent", |c| c.frames_sent),
            pair("late", |c| c.frames_late),
            pair("dropped", |c| c.frames_dropped),
        ];
        let change = match self.sustained_change_percent {
            Some(percent) => format!("{percent:+.1} %"),
            None => "A sustained none".into(),
        };
        [
            format!("cameras: A {}, B {}", load(a), load(b)),
            format!("frames {}", counts.join(", ")),
            format!(
                "sustained {:.1} -> {:.1} frames/s ({change}); {}",
                a.sustained_frames_per_s,
                b.sustained_frames_per_s,
                self.verdict()
            ),
        ]
    }

    /// `both kept up`, `A kept up, B did not (30 dropped, 12 late)`, ...
    fn verdict(&self) -> String {
        let missed = |c: &CameraFigures| KeepUpRule::new(None).frames_why_not(c).join(", ");
        match self.kept_up {
            [true, true] => "both kept up".into(),
            [false, false] => format!(
                "neither kept up (A {}; B {})",
                missed(&self.a),
                missed(&self.b)
            ),
            [true, false] => format!("A kept up, B did not ({})", missed(&self.b)),
            [false, true] => format!("B kept up, A did not ({})", missed(&self.a)),
        }
    }
}

/// Whether a camera run kept up by the capacity table's rule (no latency
/// bound: compare shows the latency's own change).
pub fn kept_up(c: &CameraFigures) -> bool {
    KeepUpRule::new(None).frames_why_not(c).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cameras(streams: usize, fps: f64, dropped: usize, late: usize) -> CameraFigures {
        let offered = (streams as f64 * fps) as usize;
        CameraFigures {
            streams,
            fps,
            max_in_flight: 1,
            duration_s: 1.0,
            frames_offered: offered,
            frames_sent: offered - dropped,
            frames_late: late,
            frames_dropped: dropped,
            frames_completed: offered - dropped,
            sustained_frames_per_s: (offered - dropped) as f64,
        }
    }

    #[test]
    fn the_pair_says_which_kept_up_and_how_the_sustained_rate_moved() {
        let change =
            CameraChange::between(Some(cameras(2, 5.0, 0, 0)), Some(cameras(6, 30.0, 30, 12)))
                .unwrap();
        assert_eq!(change.kept_up, [true, false]);
        assert_eq!(change.sustained_change_percent, Some(1400.0));
        let [load, counts, sustained] = change.lines();
        assert_eq!(load, "cameras: A 2 x 5 fps for 1 s, B 6 x 30 fps for 1 s");
        assert_eq!(
            counts,
            "frames offered 10 -> 180, sent 10 -> 150, late 0 -> 12, dropped 0 -> 30"
        );
        assert_eq!(
            sustained,
            "sustained 10.0 -> 150.0 frames/s (+1400.0 %); A kept up, B did not (16.7% \
             dropped, 8.0% late)"
        );
        assert_eq!(
            CameraChange::between(Some(cameras(1, 5.0, 0, 0)), None),
            None
        );
        let answered_less = CameraFigures {
            frames_completed: 9,
            ..cameras(2, 5.0, 0, 0)
        };
        assert!(
            !kept_up(&answered_less),
            "a failed frame is not kept up with"
        );
        // 1 of 180 dropped and 1 of 179 late is within the 1 % each.
        assert!(kept_up(&cameras(6, 30.0, 1, 1)));
    }
}

//! Where and with what a run was made: the machine (host name, CPU model,
//! logical CPUs, OS) and the build (imgwire's version and profile), so that
//! `compare` can say when two runs are not from the same place.

use serde::{Deserialize, Serialize};

/// The machine a run measured from (the client's side).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub hostname: String,
    /// `/proc/cpuinfo`'s first "model name" (`unknown CPU` where none).
    pub cpu_model: String,
    /// Logical CPUs this process may use.
    pub cpu_cores: usize,
    /// `linux x86_64`.
    pub os: String,
}

impl Machine {
    /// This machine, with its CPU as the caller read it.
    pub fn this(cpu_model: String, cpu_cores: usize) -> Machine {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown".into());
        Machine {
            hostname,
            cpu_model,
            cpu_cores,
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        }
    }
}

/// The build that made a run: `0.1.0 release`.
pub fn build() -> String {
    let profile = match cfg!(debug_assertions) {
        true => "debug",
        false => "release",
    };
    format!("{} {profile}", env!("CARGO_PKG_VERSION"))
}

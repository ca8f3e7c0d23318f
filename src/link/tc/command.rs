//! Running `ip` and `tc`, and the errors of `--link-backend tc`. The one place
//! that reads those tools' stderr to tell why they refused is
//! [`tool_refusal`]; everything else matches on [`TcError`].

use super::plan::show;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

/// Why `--link-backend tc` could not make, enter or use its link.
#[derive(Debug, thiserror::Error)]
pub enum TcError {
    #[error(
        "--link-backend tc needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to make a network \
         namespace and shape it ({why}); run imgwire as root, or use the default \
         --link-backend relay, which needs no privileges"
    )]
    NotPermitted { why: String },
    #[error(
        "--link-backend tc needs the `ip` and `tc` commands, and `{program}` was not found: \
         install iproute2 (apt-get install iproute2), or use the default --link-backend relay"
    )]
    ToolMissing { program: String },
    #[error("--link-backend tc: cannot run `{program}`: {source}")]
    CannotRun {
        program: String,
        source: std::io::Error,
    },
    /// `tc` does not know a qdisc kind: its kernel module is missing.
    #[error("--link-backend tc: `{command}` failed: {stderr} (the kernel lacks this qdisc)")]
    UnknownQdisc { command: String, stderr: String },
    #[error("--link-backend tc: `{command}` failed: {stderr}")]
    Failed { command: String, stderr: String },
    #[error(
        "--link-backend tc: this kernel has no netem qdisc, so tc cannot add the rtt={} delay \
         (tbf and htb shape bandwidth only); use the default --link-backend relay for delay, \
         or rtt=0ms to shape bandwidth with tc",
        show(*rtt)
    )]
    NetemMissing { rtt: Duration },
    #[error("--link-backend tc: every /30 in 10.213.0.0/16 is in use on this host")]
    NoFreeSubnet,
    #[error("--link-backend tc: cannot enter network namespace {path}: {source}")]
    EnterNamespace {
        path: String,
        source: std::io::Error,
    },
    #[error("--link-backend tc: cannot bind {addr} in the namespace: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("--link-backend tc: the thread binding {addr} in the namespace panicked")]
    BindPanicked { addr: SocketAddr },
}

impl TcError {
    /// The error for a process that is not root.
    pub fn not_root() -> TcError {
        TcError::NotPermitted {
            why: "imgwire is not running as root".into(),
        }
    }
}

/// Why `ip` or `tc` refused, as far as its stderr tells.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    NotPermitted,
    UnknownQdisc,
    Other,
}

/// Reads an iproute2 tool's stderr: the tools report these cases only as
/// text ("RTNETLINK answers: Operation not permitted", "Error: Specified
/// qdisc kind is unknown."), so matching it is the only way to tell them apart.
fn tool_refusal(stderr: &str) -> Refusal {
    if stderr.contains("Operation not permitted") {
        Refusal::NotPermitted
    } else if stderr.contains("qdisc kind is unknown") || stderr.contains("Unknown qdisc") {
        Refusal::UnknownQdisc
    } else {
        Refusal::Other
    }
}

/// Runs `ip` with `args` (split at spaces) and returns its stdout.
pub fn ip(args: &str) -> Result<String, TcError> {
    run("ip", args)
}

/// Runs `ip` or `tc` with `args` (split at spaces) and returns its stdout;
/// errors carry its stderr.
pub fn run(program: &str, args: &str) -> Result<String, TcError> {
    let output = Command::new(program).args(args.split_whitespace()).output();
    let output = output.map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => TcError::ToolMissing {
            program: program.into(),
        },
        _ => TcError::CannotRun {
            program: program.into(),
            source,
        },
    })?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    let command = format!("{program} {args}");
    Err(match tool_refusal(&stderr) {
        Refusal::NotPermitted => TcError::NotPermitted {
            why: format!("`{command}` said: {stderr}"),
        },
        Refusal::UnknownQdisc => TcError::UnknownQdisc { command, stderr },
        Refusal::Other => TcError::Failed { command, stderr },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_stderr_tells_the_refusals_apart() {
        let denied = "RTNETLINK answers: Operation not permitted";
        assert_eq!(tool_refusal(denied), Refusal::NotPermitted);
        let unknown = "Error: Specified qdisc kind is unknown.";
        assert_eq!(tool_refusal(unknown), Refusal::UnknownQdisc);
        assert_eq!(tool_refusal("Cannot find device \"x\""), Refusal::Other);
    }

    #[test]
    fn errors_say_why_and_what_to_do() {
        let netem = TcError::NetemMissing {
            rtt: Duration::from_millis(2),
        }
        .to_string();
        assert!(netem.starts_with("--link-backend tc: this kernel has no netem qdisc"));
        for advice in ["rtt=2ms delay", "--link-backend relay", "rtt=0ms"] {
            assert!(netem.contains(advice), "{netem}");
        }
        let root = TcError::not_root().to_string();
        assert!(root.contains("needs root") && root.contains("--link-backend relay"));
        let missing = run("imgwire-no-such-tool", "-V").unwrap_err().to_string();
        assert!(missing.contains("install iproute2"), "{missing}");
    }
}

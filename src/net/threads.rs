//! Names of the tokio runtimes' threads (`client-*`, `server-*`, `link-*`),
//! so profiles and `top -H` tell each side's threads apart.

/// Names a runtime's threads `prefix-0`, `prefix-1`, ... so profiles and
/// `top -H` tell the client from the server.
pub fn thread_namer(prefix: &'static str) -> impl Fn() -> String + Send + Sync + 'static {
    let next = std::sync::atomic::AtomicUsize::new(0);
    move || {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{prefix}-{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_numbered_from_zero_under_their_prefix() {
        let name = thread_namer("server");
        assert_eq!([name(), name()], ["server-0", "server-1"]);
    }
}

//! A small HTTP side service (`/metrics`, the trace receiver) served on a
//! thread and single-threaded runtime of its own, for as long as the
//! process lives: the run's runtime never waits on it, and it never waits
//! on the run.

use anyhow::{Context, Result};

/// Listens on `addr` and serves `app` on a thread named `thread`; `flag`
/// names the option that asked for it in errors. Returns the address bound
/// (port 0: any free port).
pub fn serve_on_own_thread(
    addr: std::net::SocketAddr,
    app: axum::Router,
    thread: &str,
    flag: &str,
) -> Result<std::net::SocketAddr> {
    let listener = std::net::TcpListener::bind(addr)
        .with_context(|| format!("could not listen on {flag} {addr}"))?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .with_context(|| format!("could not start the {flag} runtime"))?;
    std::thread::Builder::new()
        .name(thread.into())
        .spawn(move || {
            runtime.block_on(async move {
                if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                    let _ = axum::serve(listener, app).await;
                }
            })
        })
        .with_context(|| format!("could not start the {flag} thread"))?;
    Ok(bound)
}

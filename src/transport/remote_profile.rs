//! Fetching a remote `imgwire serve --profiling` server's CPU profile over
//! its REST port, bounded in time so a silent server cannot hang the run.

use super::http_get::SideGet;
use anyhow::Result;
use std::time::Duration;

/// Asks a remote `imgwire serve --profiling` for `seconds` of CPU profile,
/// giving up the side timeout (`--timeout-s`) after the profile should have
/// come back.
pub async fn fetch_remote(base_url: &str, seconds: u64, side: &SideGet) -> Result<Vec<u8>> {
    let limit = Duration::from_secs(seconds) + side.timeout;
    match tokio::time::timeout(limit, fetch_profile(base_url, seconds, side)).await {
        Ok(result) => result,
        Err(_) => anyhow::bail!(
            "the server at --rest-url sent no profile within {:.0} s ({seconds} s of profile \
             plus --timeout-s); is it still up?",
            limit.as_secs_f64()
        ),
    }
}

async fn fetch_profile(base_url: &str, seconds: u64, side: &SideGet) -> Result<Vec<u8>> {
    let url = format!(
        "{}/debug/pprof/profile?seconds={seconds}",
        base_url.trim_end_matches('/')
    );
    // A profile is as large as it is: no cap beyond what memory allows.
    let answer = super::http_get::fetch(&url, "--rest-url", usize::MAX, &side.trust).await?;
    let (status, body) = (answer.status, answer.body);
    if status == http::StatusCode::NOT_FOUND {
        anyhow::bail!("the server at --rest-url serves no /debug/pprof/profile (start it with `imgwire serve --profiling`)");
    }
    if !status.is_success() {
        anyhow::bail!(
            "the server's profile endpoint answered {status}: {}",
            String::from_utf8_lossy(&body).trim()
        );
    }
    Ok(body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_that_never_answers_times_out_naming_the_flag() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        // Accepts and holds the connection, never answering.
        let held = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(socket);
        });
        let start = std::time::Instant::now();
        let side = SideGet {
            timeout: Duration::from_millis(200),
            trust: Default::default(),
        };
        let err = fetch_remote(&url, 1, &side).await.unwrap_err().to_string();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert!(
            err.contains("--rest-url") && err.contains("no profile"),
            "{err}"
        );
        held.abort();
    }
}

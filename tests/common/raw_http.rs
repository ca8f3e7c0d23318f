//! One HTTP/1.1 exchange over a plain socket, exactly as sent and answered:
//! status, headers and body, with no client library in between; and the
//! bytes of one HTTP/2 frame, for peers that speak HTTP/2 by hand.

use imgwire::wire::server_timing::ServerTimings;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::SocketAddr;

/// One HTTP/1.1 exchange over a plain socket, as sent and answered.
pub struct Exchange {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(k, _)| k == name);
        found.map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    /// The stage names in `Server-Timing` (none when the header is absent).
    pub fn stages(&self) -> Vec<&'static str> {
        let text = self.header("server-timing").unwrap_or_default();
        let timings = ServerTimings::parse(text).unwrap();
        timings.entries().iter().map(|(s, _)| s.name()).collect()
    }
}

pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Exchange {
    try_http(addr, method, path, headers, body).unwrap()
}

/// [`http`], or the socket's error where the peer went away (a process
/// that may end at any moment).
pub fn try_http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Exchange> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head += &format!("{name}: {value}\r\n");
    }
    stream.write_all(format!("{head}\r\n").as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        let cut = std::io::ErrorKind::UnexpectedEof;
        return Err(std::io::Error::new(
            cut,
            "the answer ended before a whole head",
        ));
    };
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Exchange {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// One HTTP/2 frame as sent on the wire: a 9-byte header (24-bit length,
/// `kind`, `flags`, `stream`) and `payload`.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let length = (payload.len() as u32).to_be_bytes();
    let mut frame = vec![length[1], length[2], length[3], kind, flags];
    frame.extend_from_slice(&stream.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

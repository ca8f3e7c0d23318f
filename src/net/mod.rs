//! What the client (`transport`), the built-in servers (`server`) and the
//! emulated links (`link`) share, below all three: sockets that count
//! their bytes (`byte_count`, `counted_stream`), TLS's common parts (PEM
//! certificates and keys, the crypto, ALPN names, a plain-or-TLS stream:
//! `tls`, `secured`), the HTTP/2 and TCP settings both ends are tuned with
//! (`h2_tuning`), the names of the runtimes' threads (`threads`), and side
//! services on a thread of their own (`own_thread`). It
//! uses no imgwire module above it, so the client and the servers sit side
//! by side over it and neither imports the other.

pub(crate) mod byte_count;
pub(crate) mod counted_stream;
pub(crate) mod h2_tuning;
pub(crate) mod own_thread;
pub(crate) mod secured;
pub(crate) mod threads;
pub mod tls;

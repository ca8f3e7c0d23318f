//! The relay's zero-copy path: bytes move from one socket into a kernel pipe
//! and, at their arrival time, from the pipe into the other socket, with
//! splice(2); they never enter user space. Each chunk waits out the link's
//! delay in a pipe of its own, so the pipes are the delay line that the
//! copying path keeps in user-space buffers. Pipes are reused, and at most
//! `MAX_PIPES` wait per direction: past that the reader waits for one to
//! come back, which pushes back on the sender as a full buffer would.

use super::schedule::Direction;
use super::LinkSpec;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use tokio::io::Interest;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Pipes one direction may hold at once (two file descriptors each).
const MAX_PIPES: usize = 64;

/// A kernel pipe that holds one chunk.
struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
    /// What the kernel gave it (`F_SETPIPE_SZ` may round up or refuse).
    capacity: usize,
}

impl Pipe {
    /// A non-blocking pipe asked to hold `wanted` bytes.
    fn new(wanted: usize) -> io::Result<Pipe> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so both descriptors are open and ours alone.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let wanted = libc::c_int::try_from(wanted).unwrap_or(libc::c_int::MAX);
        // SAFETY: fcntl on a descriptor we own; a refusal leaves the default size.
        let mut capacity = unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETPIPE_SZ, wanted) };
        if capacity < 0 {
            // SAFETY: as above; F_GETPIPE_SZ only reads the size.
            capacity = unsafe { libc::fcntl(write.as_raw_fd(), libc::F_GETPIPE_SZ) };
        }
        let capacity = usize::try_from(capacity).map_err(|_| io::Error::last_os_error())?;
        Ok(Pipe {
            read,
            write,
            capacity,
        })
    }
}

/// One splice(2) call that never blocks: `WouldBlock` when either end is
/// not ready, `Ok(0)` at the end of the input.
fn splice_once(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
    let flags = libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK;
    // SAFETY: both descriptors are open for the call (the caller holds the
    // owners); null offsets are allowed for pipes and sockets.
    let moved = unsafe {
        libc::splice(
            from,
            std::ptr::null_mut(),
            to,
            std::ptr::null_mut(),
            len,
            flags,
        )
    };
    usize::try_from(moved).map_err(|_| io::Error::last_os_error())
}

/// Moves what the socket has (up to `limit`) into an empty pipe.
async fn fill(socket: &TcpStream, pipe: &Pipe, limit: usize) -> io::Result<usize> {
    let len = limit.min(pipe.capacity);
    loop {
        socket.readable().await?;
        let moved = socket.try_io(Interest::READABLE, || {
            splice_once(socket.as_raw_fd(), pipe.write.as_raw_fd(), len)
        });
        match moved {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            other => return other,
        }
    }
}

/// Moves all `len` bytes waiting in the pipe into the socket.
async fn drain(pipe: &Pipe, socket: &TcpStream, mut len: usize) -> io::Result<()> {
    while len > 0 {
        socket.writable().await?;
        let moved = socket.try_io(Interest::WRITABLE, || {
            splice_once(pipe.read.as_raw_fd(), socket.as_raw_fd(), len)
        });
        match moved {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => len -= n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Ends the sending half of `socket`, so the far end sees end of stream.
fn shutdown_write(socket: &TcpStream) {
    // SAFETY: shutdown on a descriptor the stream keeps open; it frees nothing.
    unsafe { libc::shutdown(socket.as_raw_fd(), libc::SHUT_WR) };
}

/// A pipe for the next chunk: a returned one, a new one while fewer than
/// `MAX_PIPES` exist, else the next to come back.
async fn next_pipe(
    returned: &mut mpsc::UnboundedReceiver<Pipe>,
    made: &mut usize,
    wanted: usize,
) -> io::Result<Pipe> {
    if let Ok(pipe) = returned.try_recv() {
        return Ok(pipe);
    }
    if *made < MAX_PIPES {
        *made += 1;
        return Pipe::new(wanted);
    }
    returned
        .recv()
        .await
        .ok_or_else(|| io::ErrorKind::BrokenPipe.into())
}

/// Moves one direction's bytes with splice(2): the same schedule as the
/// copying path (`relay::carry`), with pipes for buffers.
pub(super) async fn carry(
    from: Arc<TcpStream>,
    to: Arc<TcpStream>,
    spec: LinkSpec,
    link: Arc<Direction>,
) {
    let (queue, mut arrivals) = mpsc::unbounded_channel::<(Instant, Pipe, usize)>();
    let (give_back, mut returned) = mpsc::unbounded_channel::<Pipe>();
    let writer = tokio::spawn(async move {
        while let Some((arrival, pipe, len)) = arrivals.recv().await {
            if arrival > Instant::now() {
                tokio::time::sleep_until(arrival).await;
            }
            if drain(&pipe, &to, len).await.is_err() {
                return;
            }
            let _ = give_back.send(pipe);
        }
        shutdown_write(&to);
    });
    let read_limit = spec.chunk_bytes();
    let mut made = 0;
    loop {
        let Ok(pipe) = next_pipe(&mut returned, &mut made, read_limit).await else {
            break;
        };
        let read = match fill(&from, &pipe, read_limit).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let departed = link.depart(&spec, read);
        if queue
            .send((departed + spec.one_way_delay(), pipe, read))
            .is_err()
        {
            break;
        }
        link.pace(&spec, departed, read_limit).await;
    }
    drop(queue);
    let _ = writer.await;
}

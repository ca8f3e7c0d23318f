//! Ctrl-C and SIGTERM: one handler for the whole process. It runs every
//! cleanup registered (network namespaces to remove, say), prints what the
//! run kept (the files already written, which are always whole), and exits
//! with status 130.

use std::sync::{Mutex, MutexGuard, Once};

type Cleanup = Box<dyn Fn() + Send>;

static CLEANUPS: Mutex<Vec<Cleanup>> = Mutex::new(Vec::new());
static NOTE: Mutex<String> = Mutex::new(String::new());
static HANDLER: Once = Once::new();

fn lock<T>(mutex: &'static Mutex<T>) -> MutexGuard<'static, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the handler (once; later calls do nothing).
pub fn install() {
    HANDLER.call_once(|| {
        // A handler already set by someone else stays; ours is then not needed.
        let _ = ctrlc::set_handler(|| {
            for cleanup in lock(&CLEANUPS).iter() {
                cleanup();
            }
            let note = lock(&NOTE).clone();
            let line = if note.is_empty() {
                "imgwire: interrupted\n".to_string()
            } else {
                format!("imgwire: interrupted; {note}\n")
            };
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            std::process::exit(130);
        });
    });
}

/// Runs `cleanup` if the process is interrupted (for the rest of its life).
pub fn on_interrupt(cleanup: impl Fn() + Send + 'static) {
    install();
    lock(&CLEANUPS).push(Box::new(cleanup));
}

/// What to tell the user if interrupted now: what has been kept, and where.
pub fn set_note(note: String) {
    install();
    *lock(&NOTE) = note;
}

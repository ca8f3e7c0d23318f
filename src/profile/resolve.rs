//! Symbolises a sampled profile: each return address is named by its DWARF
//! (inlined functions included) or sized symbol, as pprof does, and where
//! that finds no name, by the nearest preceding function symbol
//! (`elf_symbols`), so that libjpeg-turbo's SIMD assembly shows as
//! `jsimd_*` instead of "Unknown". Each address is resolved once.

use super::elf_symbols::Fallback;
use pprof::{Frames, Report, Symbol, UnresolvedReport};
use std::collections::HashMap;
use std::ffi::c_void;

/// The profiler's own frames: its signal handler and the frame under it.
const SIGNAL_HANDLER: &str = "perf_signal_handler";

/// The report with every sampled stack symbolised.
pub fn resolve(unresolved: UnresolvedReport) -> Report {
    let mut resolver = Resolver {
        fallback: Fallback::of_this_process(),
        cache: HashMap::new(),
    };
    let mut data: HashMap<Frames, isize> = HashMap::new();
    for (stack, count) in unresolved.data {
        let ips: Vec<usize> = stack.frames.iter().map(|frame| frame.ip).collect();
        let frames = Frames {
            frames: resolver.stack(&ips),
            thread_name: String::from_utf8_lossy(&stack.thread_name[..stack.thread_name_length])
                .into_owned(),
            thread_id: stack.thread_id,
            sample_timestamp: stack.sample_timestamp,
        };
        *data.entry(frames).or_default() += count;
    }
    Report {
        data,
        timing: unresolved.timing,
    }
}

struct Resolver {
    fallback: Fallback,
    /// Symbols by return address, and whether it was the leaf's.
    cache: HashMap<(usize, bool), Vec<Symbol>>,
}

impl Resolver {
    /// The symbols of a stack's frames, leaf first, less the profiler's.
    fn stack(&mut self, ips: &[usize]) -> Vec<Vec<Symbol>> {
        let mut frames = Vec::with_capacity(ips.len());
        let mut ips = ips.iter();
        while let Some(&ip) = ips.next() {
            let symbols = self.symbols(ip, frames.is_empty());
            if symbols.iter().any(|s| s.name() == SIGNAL_HANDLER) {
                ips.next();
                continue;
            }
            if !symbols.is_empty() {
                frames.push(symbols);
            }
        }
        frames
    }

    /// The symbols at an address: DWARF's or the sized symbol's names,
    /// else the fallback's; an unnamed symbol where neither has one. The
    /// leaf's address is the interrupted instruction; every other frame's
    /// is a return address, one past its call.
    fn symbols(&mut self, ip: usize, leaf: bool) -> Vec<Symbol> {
        if let Some(known) = self.cache.get(&(ip, leaf)) {
            return known.clone();
        }
        let mut symbols: Vec<Symbol> = Vec::new();
        backtrace::resolve(ip as *mut c_void, |symbol| {
            symbols.push(Symbol::from(symbol))
        });
        if symbols.iter().all(|s| s.name.is_none()) {
            let instruction = (ip as u64).saturating_sub(u64::from(!leaf));
            if let Some(name) = self.fallback.name_of(instruction) {
                // DWARF's line here, where it had one, is the end of the
                // previous file's line table, not this function's.
                symbols = vec![Symbol {
                    name: Some(name),
                    addr: Some(ip as *mut c_void),
                    lineno: None,
                    filename: None,
                }];
            }
        }
        self.cache.insert((ip, leaf), symbols.clone());
        symbols
    }
}

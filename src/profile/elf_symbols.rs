//! Names for code addresses that the DWARF and sized-symbol lookup leave
//! unnamed. Hand-written assembly (libjpeg-turbo's SIMD kernels, some of
//! libc) declares its functions with no size, so a lookup that needs a
//! symbol to cover the address finds nothing and the profile says
//! "Unknown". Here, as perf does, a symbol without a size reaches to the
//! next symbol of its section: an address takes the name of the nearest
//! function symbol at or before it, in the same section.
//!
//! The process's loaded objects come from `dl_iterate_phdr` (the
//! executable, its shared libraries), each object's symbol table from its
//! file on disk, read once.

use object::{Object, ObjectSection, ObjectSymbol, SymbolKind, SymbolSection};
use std::collections::HashMap;
use std::ffi::CStr;
use std::path::PathBuf;

/// One function symbol: where it starts, how long it says it is (0 for
/// none), and where its section ends.
#[derive(Clone, Debug, PartialEq)]
struct FunctionSymbol {
    start: u64,
    size: u64,
    section_end: u64,
    name: Vec<u8>,
}

/// An object file's function symbols, sorted by address.
#[derive(Debug, Default)]
pub struct SymbolTable {
    functions: Vec<FunctionSymbol>,
}

impl SymbolTable {
    /// The function symbols of an ELF file (its `.symtab`, or `.dynsym`
    /// where the file is stripped).
    pub fn parse(data: &[u8]) -> Option<SymbolTable> {
        let file = object::File::parse(data).ok()?;
        let mut symbols: Vec<_> = file.symbols().collect();
        if symbols.is_empty() {
            symbols = file.dynamic_symbols().collect();
        }
        let mut functions: Vec<FunctionSymbol> = symbols
            .iter()
            .filter(|symbol| symbol.kind() == SymbolKind::Text)
            .filter_map(|symbol| {
                let SymbolSection::Section(index) = symbol.section() else {
                    return None;
                };
                let section = file.section_by_index(index).ok()?;
                Some(FunctionSymbol {
                    start: symbol.address(),
                    size: symbol.size(),
                    section_end: section.address() + section.size(),
                    name: symbol.name_bytes().ok()?.to_vec(),
                })
            })
            .collect();
        functions.sort_by_key(|f| (f.start, std::cmp::Reverse(f.size)));
        Some(SymbolTable { functions })
    }

    /// The name of the function holding `address` (an address as the file
    /// states it, not as loaded): a sized symbol that covers it, or else
    /// the nearest unsized symbol at or before it in the same section with
    /// no other symbol between. None when a sized symbol ends before it.
    pub fn name_of(&self, address: u64) -> Option<&[u8]> {
        let after = self.functions.partition_point(|f| f.start <= address);
        let nearest_start = self.functions.get(after.checked_sub(1)?)?.start;
        let candidates = self.functions[..after]
            .iter()
            .rev()
            .take_while(|f| f.start == nearest_start);
        let mut unsized_symbol = None;
        for function in candidates {
            if function.size > 0 && address < function.start + function.size {
                return Some(&function.name);
            }
            if function.size == 0 && address < function.section_end {
                unsized_symbol.get_or_insert(function.name.as_slice());
            }
        }
        unsized_symbol
    }
}

/// An object loaded into this process: its file and where it was loaded.
struct LoadedObject {
    path: PathBuf,
    /// Loaded address less the file's stated address.
    bias: u64,
    /// The loaded address ranges of its segments.
    segments: Vec<(u64, u64)>,
}

/// Finds names for this process's code addresses by the rule above.
#[derive(Default)]
pub struct Fallback {
    objects: Vec<LoadedObject>,
    tables: HashMap<PathBuf, Option<SymbolTable>>,
}

impl Fallback {
    /// The objects loaded into this process now.
    pub fn of_this_process() -> Fallback {
        Fallback {
            objects: loaded_objects(),
            tables: HashMap::new(),
        }
    }

    /// The function name at `address` (as loaded), or None.
    pub fn name_of(&mut self, address: u64) -> Option<Vec<u8>> {
        let object = self.objects.iter().find(|object| {
            object
                .segments
                .iter()
                .any(|&(start, end)| (start..end).contains(&address))
        })?;
        let table = self
            .tables
            .entry(object.path.clone())
            .or_insert_with(|| SymbolTable::parse(&std::fs::read(&object.path).ok()?));
        let stated = address.checked_sub(object.bias)?;
        table.as_ref()?.name_of(stated).map(<[u8]>::to_vec)
    }
}

/// The executable (as `/proc/self/exe`) and each shared library with its
/// load bias and loaded segments.
fn loaded_objects() -> Vec<LoadedObject> {
    unsafe extern "C" fn collect(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: dl_iterate_phdr passes a valid info for the duration of
        // the call, and `data` is the Vec handed to it below.
        let (info, objects) = unsafe { (&*info, &mut *data.cast::<Vec<LoadedObject>>()) };
        let name = if info.dlpi_name.is_null() {
            Default::default()
        } else {
            // SAFETY: a non-null dlpi_name is a NUL-terminated string.
            unsafe { CStr::from_ptr(info.dlpi_name) }.to_string_lossy()
        };
        let path = if name.is_empty() {
            PathBuf::from("/proc/self/exe")
        } else {
            PathBuf::from(name.as_ref())
        };
        let headers = if info.dlpi_phdr.is_null() {
            &[][..]
        } else {
            // SAFETY: dlpi_phdr points at dlpi_phnum program headers.
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) }
        };
        let segments = headers
            .iter()
            .filter(|header| header.p_type == libc::PT_LOAD)
            .map(|header| {
                let start = info.dlpi_addr + header.p_vaddr;
                (start, start + header.p_memsz)
            })
            .collect();
        objects.push(LoadedObject {
            path,
            bias: info.dlpi_addr,
            segments,
        });
        0
    }
    let mut objects: Vec<LoadedObject> = Vec::new();
    // SAFETY: the callback only reads what dl_iterate_phdr hands it and
    // pushes onto `objects`, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(collect), (&raw mut objects).cast()) };
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbol(start: u64, size: u64, section_end: u64, name: &str) -> FunctionSymbol {
        FunctionSymbol {
            start,
            size,
            section_end,
            name: name.as_bytes().to_vec(),
        }
    }

    fn table(functions: Vec<FunctionSymbol>) -> SymbolTable {
        SymbolTable { functions }
    }

    fn name(table: &SymbolTable, address: u64) -> Option<&str> {
        table
            .name_of(address)
            .map(|n| std::str::from_utf8(n).unwrap())
    }

    #[test]
    fn an_unsized_symbol_reaches_to_the_next_one() {
        let t = table(vec![
            symbol(0x100, 0x20, 0x1000, "sized"),
            symbol(0x200, 0, 0x1000, "jsimd_idct_islow_avx2"),
            symbol(0x300, 0, 0x1000, "jsimd_ycc_rgb_convert_avx2"),
        ]);
        assert_eq!(name(&t, 0x110), Some("sized"));
        assert_eq!(name(&t, 0x200), Some("jsimd_idct_islow_avx2"));
        assert_eq!(name(&t, 0x2ff), Some("jsimd_idct_islow_avx2"));
        assert_eq!(name(&t, 0x300), Some("jsimd_ycc_rgb_convert_avx2"));
    }

    #[test]
    fn gaps_after_a_sized_symbol_and_past_the_section_stay_unnamed() {
        let t = table(vec![
            symbol(0x100, 0x20, 0x1000, "sized"),
            symbol(0x200, 0, 0x280, "asm"),
        ]);
        assert_eq!(name(&t, 0x0ff), None, "before every symbol");
        assert_eq!(name(&t, 0x130), None, "past the sized symbol's end");
        assert_eq!(name(&t, 0x280), None, "past the section's end");
    }

    #[test]
    fn a_sized_alias_wins_over_an_unsized_one_at_the_same_address() {
        let t = table(vec![
            symbol(0x100, 0x40, 0x1000, "covering"),
            symbol(0x100, 0, 0x1000, "label"),
        ]);
        assert_eq!(name(&t, 0x120), Some("covering"));
        assert_eq!(name(&t, 0x150), Some("label"));
    }

    #[test]
    fn this_process_names_its_own_unsized_assembly() {
        // libjpeg-turbo's SIMD kernels are linked in with no symbol size.
        let mut fallback = Fallback::of_this_process();
        let idct = turbojpeg_simd_address();
        let found = fallback.name_of(idct + 16).expect("a name for SIMD code");
        assert!(
            String::from_utf8_lossy(&found).starts_with("jsimd_"),
            "{}",
            String::from_utf8_lossy(&found)
        );
    }

    /// The loaded address of one of libjpeg-turbo's unsized SIMD functions,
    /// from the executable's own symbol table and its load bias.
    fn turbojpeg_simd_address() -> u64 {
        let objects = loaded_objects();
        let exe = &objects[0];
        let data = std::fs::read(&exe.path).unwrap();
        let file = object::File::parse(data.as_slice()).unwrap();
        let stated = file
            .symbols()
            .find(|s| s.size() == 0 && s.name().is_ok_and(|n| n.starts_with("jsimd_idct")))
            .expect("libjpeg-turbo's SIMD symbols in the test binary")
            .address();
        stated + exe.bias
    }
}

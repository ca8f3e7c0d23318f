//! The hand-declared nvJPEG API (src/gpu/nvjpeg_api.rs) checked against the
//! real nvjpeg.h and libnvjpeg.so.13 from PyPI, without a GPU: what bindgen
//! would check, without libclang. A small C program generated from the Rust
//! side's tables includes nvjpeg.h and
//! - prints the size and alignment of every type the declarations use, the
//!   offset and size of every struct field, and the value of every constant,
//!   which are compared with the Rust values;
//! - asserts at compile time that each declared entry point's C type equals
//!   the pointer type the Rust declaration spells, so a signature that
//!   differs from the header does not compile.
//!
//! Then every declared symbol is resolved in the wheel's libnvjpeg.so.13,
//! and the library's version is read with nvjpegGetProperty (it needs no
//! device) and must be 13.x and equal the header's.
//!
//! Ignored in a bare `cargo test`, as it needs the wheels: scripts/test.sh
//! runs scripts/install-nvjpeg.sh, sets NVJPEG_LIB_DIR and NVJPEG_INCLUDE_DIR
//! from what it prints, and runs this file with `--include-ignored`.

use imgwire::gpu::nvjpeg_api;
use imgwire::gpu::nvjpeg_api::declared::{
    declared_constants, BUILT_FOR_NVJPEG_MAJOR, DECLARED_FIELDS, DECLARED_FUNCTIONS, DECLARED_TYPES,
};
use std::collections::BTreeMap;
use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder scripts/install-nvjpeg.sh printed, from `var`.
fn wheel_dir(var: &str) -> PathBuf {
    let Some(dir) = std::env::var_os(var).filter(|d| !d.is_empty()) else {
        panic!(
            "{var} is not set: run scripts/install-nvjpeg.sh (it prints NVJPEG_LIB_DIR, then \
             NVJPEG_INCLUDE_DIR) and export both, or run scripts/test.sh, which does"
        );
    };
    let dir = PathBuf::from(dir);
    assert!(
        dir.is_dir(),
        "{var}={} is not a folder: rerun scripts/install-nvjpeg.sh",
        dir.display()
    );
    dir
}

fn lib_dir() -> PathBuf {
    wheel_dir("NVJPEG_LIB_DIR")
}

fn include_dir() -> PathBuf {
    wheel_dir("NVJPEG_INCLUDE_DIR")
}

/// `_Static_assert`s that each entry point in nvjpeg.h has exactly the type
/// `c_pointer_type` gives it (top-level qualifiers aside, as C's own
/// compatibility rules have it).
fn prototype_asserts(functions: &[(&str, String)]) -> String {
    functions
        .iter()
        .map(|(symbol, pointer_type)| {
            format!(
                "_Static_assert(__builtin_types_compatible_p(__typeof__(&{symbol}), {pointer_type}),\n\
                 \x20   \"{symbol} in nvjpeg.h is not {pointer_type} as Rust declares it\");\n"
            )
        })
        .collect()
}

/// Every declared entry point and the C pointer type of its Rust declaration.
fn declared_prototypes() -> Vec<(&'static str, String)> {
    DECLARED_FUNCTIONS
        .iter()
        .map(|function| {
            let pointer_type = function.c_pointer_type().unwrap_or_else(|| {
                panic!(
                    "{} uses a type missing from DECLARED_TYPES",
                    function.symbol
                )
            });
            (function.symbol, pointer_type)
        })
        .collect()
}

/// The facts the C side prints, one `key<TAB>value` line each, keyed as in
/// [`rust_facts`].
fn c_fact_printers() -> String {
    let types = DECLARED_TYPES.iter().map(|t| {
        format!(
            "printf(\"type {0}\\t%zu %zu\\n\", sizeof({0}), alignof({0}));",
            t.c
        )
    });
    let fields = DECLARED_FIELDS.iter().map(|f| {
        format!(
            "printf(\"field {0}.{1}\\t%zu %zu\\n\", offsetof({0}, {1}), sizeof((({0} *)0)->{1}));",
            f.c_struct, f.c_field
        )
    });
    let constants = declared_constants()
        .into_iter()
        .map(|(name, _)| format!("printf(\"constant {name}\\t%lld\\n\", (long long)({name}));"));
    types
        .chain(fields)
        .chain(constants)
        .map(|line| format!("    {line}\n"))
        .collect()
}

/// The same facts as Rust declares them.
fn rust_facts() -> BTreeMap<String, String> {
    let types = DECLARED_TYPES.iter().map(|t| {
        let value = format!("{} {}", t.size, t.align);
        (format!("type {}", t.c), value)
    });
    let fields = DECLARED_FIELDS.iter().map(|f| {
        let key = format!("field {}.{}", f.c_struct, f.c_field);
        (key, format!("{} {}", f.offset, f.size))
    });
    let constants = declared_constants()
        .into_iter()
        .map(|(name, value)| (format!("constant {name}"), value.to_string()));
    types.chain(fields).chain(constants).collect()
}

fn c_program(asserts: &str, body: &str) -> String {
    format!(
        "#include <stdalign.h>\n#include <stddef.h>\n#include <stdio.h>\n#include <nvjpeg.h>\n\n\
         {asserts}\nint main(void) {{\n{body}    return 0;\n}}\n"
    )
}

/// Compiles `source` with the system C compiler against the wheel's headers;
/// the compiler's messages on failure.
fn compile(name: &str, source: &str) -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let (c_file, exe) = (dir.join(format!("{name}.c")), dir.join(name));
    std::fs::write(&c_file, source).expect("write the C program");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let out = Command::new(&compiler)
        .args(["-std=c11", "-Wall", "-Werror", "-I"])
        .arg(include_dir())
        .arg(&c_file)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{compiler}` (set CC): {e}"));
    if out.status.success() {
        Ok(exe)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Runs a compiled probe and reads its `key<TAB>value` lines.
fn run_probe(exe: &Path) -> BTreeMap<String, String> {
    let out = Command::new(exe).output().expect("run the C probe");
    assert!(out.status.success(), "the C probe failed: {out:?}");
    String::from_utf8(out.stdout)
        .expect("the probe prints text")
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

#[test]
#[ignore = "needs scripts/install-nvjpeg.sh (run by scripts/test.sh)"]
fn declared_signatures_match_nvjpeg_h() {
    let prototypes = declared_prototypes();
    if let Err(errors) = compile(
        "nvjpeg_abi_signatures",
        &c_program(&prototype_asserts(&prototypes), ""),
    ) {
        panic!("src/gpu/nvjpeg_api.rs declares entry points unlike nvjpeg.h (or it does not compile):\n{errors}");
    }
    eprintln!(
        "nvjpeg.h agrees on {} function signatures",
        prototypes.len()
    );
}

#[test]
#[ignore = "needs scripts/install-nvjpeg.sh (run by scripts/test.sh)"]
fn declared_layouts_and_constants_match_nvjpeg_h() {
    let exe = compile("nvjpeg_abi_facts", &c_program("", &c_fact_printers()))
        .unwrap_or_else(|errors| panic!("nvjpeg.h does not compile here:\n{errors}"));
    let (expected, found) = (rust_facts(), run_probe(&exe));
    let mismatches: Vec<String> = expected
        .iter()
        .filter(|&(key, value)| found.get(key) != Some(value))
        .map(|(key, value)| format!("{key}: Rust {value}, nvjpeg.h {:?}", found.get(key)))
        .collect();
    assert!(
        mismatches.is_empty(),
        "src/gpu/nvjpeg_api.rs disagrees with nvjpeg.h:\n  {}",
        mismatches.join("\n  ")
    );
    eprintln!(
        "nvjpeg.h agrees on {} type layouts, {} struct fields and {} constants",
        DECLARED_TYPES.len(),
        DECLARED_FIELDS.len(),
        expected.len() - DECLARED_TYPES.len() - DECLARED_FIELDS.len()
    );
}

/// The compile-time check is live: a prototype that differs from nvjpeg.h
/// in one parameter (`size_t length` spelled `int`) must not compile.
#[test]
#[ignore = "needs scripts/install-nvjpeg.sh (run by scripts/test.sh)"]
fn a_prototype_that_differs_from_nvjpeg_h_does_not_compile() {
    let (symbol, right) = declared_prototypes()
        .into_iter()
        .find(|(symbol, _)| *symbol == "nvjpegDecode")
        .expect("nvjpegDecode is declared");
    let wrong = right.replacen("size_t", "int", 1);
    assert_ne!(wrong, right);
    let source = c_program(&prototype_asserts(&[(symbol, wrong)]), "");
    let errors = compile("nvjpeg_abi_wrong", &source)
        .expect_err("a wrong nvjpegDecode prototype compiled: the signature check is not live");
    assert!(
        errors.contains("nvjpegDecode in nvjpeg.h is not"),
        "{errors}"
    );
    let source = c_program(&prototype_asserts(&[(symbol, right)]), "");
    compile("nvjpeg_abi_right", &source).expect("the declared nvjpegDecode prototype compiles");
}

#[test]
#[ignore = "needs scripts/install-nvjpeg.sh (run by scripts/test.sh)"]
fn every_declared_symbol_resolves_in_the_wheel_library() {
    let path = lib_dir().join("libnvjpeg.so.13");
    // SAFETY: NVIDIA's nvJPEG from the wheel scripts/install-nvjpeg.sh
    // installed; loading runs its initialisers, which need no GPU.
    let lib = unsafe { libloading::Library::new(&path) }
        .unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
    let missing: Vec<&str> = DECLARED_FUNCTIONS
        .iter()
        .map(|function| function.symbol)
        // SAFETY: only the symbol's address is looked up; nothing is called.
        .filter(|symbol| unsafe { lib.get::<*const c_void>(symbol.as_bytes()) }.is_err())
        .collect();
    assert!(missing.is_empty(), "{} lacks {missing:?}", path.display());
    // The crate's own loader finds the same library through NVJPEG_LIB_DIR.
    let api = nvjpeg_api::api().expect("imgwire loads nvJPEG from NVJPEG_LIB_DIR");
    assert!(
        Path::new(&api.path).starts_with(lib_dir()),
        "loaded {} instead of the wheel's",
        api.path
    );
}

#[test]
#[ignore = "needs scripts/install-nvjpeg.sh (run by scripts/test.sh)"]
fn library_version_is_13_and_matches_the_header() {
    let api = nvjpeg_api::api().expect("imgwire loads nvJPEG from NVJPEG_LIB_DIR");
    let (major, minor, patch) = api.version().expect("nvjpegGetProperty needs no GPU");
    eprintln!("libnvjpeg {major}.{minor}.{patch} from {}", api.path);
    assert_eq!(major, BUILT_FOR_NVJPEG_MAJOR);
    let printer =
        "    printf(\"%d.%d.%d\\n\", NVJPEG_VER_MAJOR, NVJPEG_VER_MINOR, NVJPEG_VER_PATCH);\n";
    let exe = compile("nvjpeg_abi_version", &c_program("", printer)).expect("nvjpeg.h compiles");
    let out = Command::new(exe).output().expect("run the version probe");
    let header = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(
        header,
        format!("{major}.{minor}.{patch}"),
        "header vs library"
    );
}

//! The `imgwire` binary: parse, run, print `error: ...` and exit non-zero.
use clap::Parser;

fn main() {
    let cli = imgwire::Cli::parse();
    if let Err(err) = imgwire::run(cli) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

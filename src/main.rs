//! The `imgwire` binary: parse, run, print `error: ...` and exit non-zero
//! (3 when `compare --fail-if-slower` finds a regression, 1 otherwise).
use clap::Parser;

fn main() {
    let cli = imgwire::Cli::parse();
    if let Err(err) = imgwire::run(cli) {
        eprintln!("error: {err:#}");
        let slower = err.is::<imgwire::compare::SlowerThanAllowed>();
        std::process::exit(if slower {
            imgwire::compare::EXIT_SLOWER
        } else {
            1
        });
    }
}

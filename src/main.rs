//! logposture binary: parse the command line, run, map the outcome to the contract's exit codes.

use clap::Parser;
use logposture::{app, cli::Cli};
use std::io::Write as _;

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot start the async runtime: {e}"
            );
            std::process::exit(2);
        }
    };
    let code = match runtime.block_on(app::run(cli)) {
        Ok(code) => code,
        Err(e) if app::is_closed_stdout(&e) => 0,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            app::error_exit_code(&e)
        }
    };
    // Drop the runtime without waiting for stray tasks (e.g. a progress ticker).
    runtime.shutdown_background();
    std::process::exit(code);
}

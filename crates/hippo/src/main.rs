//! `hippo`: the secure messaging server and its admin commands.

fn main() -> std::process::ExitCode {
    hippo::cli::main()
}

//! The `lifemarket` command: serve | migrate | seed | worker | create-operator.

fn main() -> std::process::ExitCode {
    lifemarket::cli::main()
}

//! The `quire` binary: parse the command line, then hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    return_large_buffers_to_the_system();
    quire::db::prepare_tls();
    // A missing .env is normal; a broken one is worth knowing about.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("error: .env: {error}");
        return ExitCode::FAILURE;
    }
    let cli = quire::cli::Cli::parse();
    match quire::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// glibc raises its mmap threshold (up to 32 MiB) each time a large block is freed, after
/// which multi-megabyte buffers (the brotli encoder's window, large feeds) come from the heap
/// and leave it fragmented. A fixed 1 MiB threshold maps those separately and returns them
/// when freed: peak RSS under the load benchmark drops by about a quarter. Fixing it also
/// fixes the trim threshold at 128 KiB, which would hand the heap's top back after every
/// feed response and fault it in again for the next (halving the feed's rate), so that one
/// is set to keep up to 8 MiB. glibc also gives each new thread that meets contention an
/// arena of its own (up to eight per core); the blocking pool's threads, one per request
/// waiting on the database, each fragmented one, which doubled peak RSS under load. Two
/// arenas are shared by all threads instead.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_buffers_to_the_system() {
    // SAFETY: mallopt only tunes the allocator; this runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 8 * 1024 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_buffers_to_the_system() {}

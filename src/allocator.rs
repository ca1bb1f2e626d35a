//! The process's allocator, set once at start by `main` (see `tune`).

/// How glibc's allocator keeps memory, unless its own environment variables say otherwise.
/// - Two arenas for the whole process (`MALLOC_ARENA_MAX`). glibc gives each thread that allocates
///   an arena of its own, up to eight per core; a server's many threads (workers, the database's
///   blocking pool) each keep what they freed. The soak bench (`benches/soak.rs`), 16 clients for a
///   minute: 57.5 MiB with the default arenas, 43 MiB with two, at the same speed.
/// - Blocks of 1 MiB or more mapped on their own and given back when freed
///   (`MALLOC_MMAP_THRESHOLD_`). By default glibc raises that threshold to the size of each such
///   block freed (up to 32 MiB), and serves the next ones from an arena that keeps them: argon2's
///   19 MiB per sign-in, an upload, a big page or workbook. The load bench (`benches/load.rs`), a
///   100,000-row import preview beside sign-ins and workbooks: 503 MiB at the peak and 352 MiB
///   kept after, by default; 213 and 73 with this.
///
/// Call it first thing in `main`, before any other thread exists.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            // SAFETY: mallopt only sets an allocator parameter; it is called once, before any
            // thread other than this one exists.
            unsafe {
                libc::mallopt(libc::M_ARENA_MAX, 2);
            }
        }
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            // SAFETY: as above.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
            }
        }
    }
}

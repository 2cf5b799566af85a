//! criterion benchmarks of the warm handlers: `benches/handlers.rs` (`make bench` runs them).

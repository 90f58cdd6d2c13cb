//! Time source for deadlines. On `wasm32-unknown-unknown` there is no clock:
//! `Instant::now()` is a constant there, so deadlines never fire (hosts on
//! such targets use fuel or the interrupt callback instead).

#[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
pub use std::time::Instant;

#[cfg(all(target_family = "wasm", target_os = "unknown"))]
mod wasm {
    /// A clock that never advances.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub struct Instant(u64);
    impl Instant {
        pub fn now() -> Self {
            Instant(0)
        }
        pub fn elapsed(&self) -> std::time::Duration {
            std::time::Duration::ZERO
        }
    }
    impl std::ops::Add<std::time::Duration> for Instant {
        type Output = Instant;
        fn add(self, _d: std::time::Duration) -> Instant {
            Instant(u64::MAX)
        }
    }
}
#[cfg(all(target_family = "wasm", target_os = "unknown"))]
pub use wasm::Instant;

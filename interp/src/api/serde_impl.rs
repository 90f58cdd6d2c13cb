//! serde support (placeholder, filled below).

//! oxilua-vmq: VerneMQ `vmq_diversity` plugins on oxilua.

pub mod providers;
pub mod pvalue;

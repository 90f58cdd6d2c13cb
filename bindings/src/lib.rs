//! oxilua-vmq: VerneMQ `vmq_diversity` plugins on oxilua.

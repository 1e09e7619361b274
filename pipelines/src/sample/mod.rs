//! Synthetic sample generator (being written).

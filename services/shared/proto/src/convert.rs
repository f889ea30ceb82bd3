//! conversions

//! The safety service (in progress).

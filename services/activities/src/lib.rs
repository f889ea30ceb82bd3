//! The activities service (in progress).

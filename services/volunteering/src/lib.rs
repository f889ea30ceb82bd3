//! The volunteering service (in progress).

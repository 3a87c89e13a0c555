//! PlaceForte desktop core (placeholder until the desktop-core issue lands).
#![forbid(unsafe_code)]

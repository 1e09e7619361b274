//! metrodati-server

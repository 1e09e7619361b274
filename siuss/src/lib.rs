//! metrodati-siuss

//! `imgwire merge`: shards' JSON reports made into one report, exactly:
//! histograms added (never percentiles averaged), counts summed.

pub mod histogram;

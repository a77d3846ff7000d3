//! Property tests over a whole port: random operation sequences checked against a model.
//! Each run takes a fresh store per case, so a store's cost per case decides how many
//! cases it runs (see [`crate::contract_suite!`]).

pub mod ledger_model;
pub mod lots_model;

//! Generates the `classroom-api` crate from `spec/classroom.yaml`.

//! Placeholder: the local queue is being written.

/// An in-process queue with SQS FIFO semantics.
#[derive(Debug, Default)]
pub struct LocalQueue;

//! Queue backends for the queue contract suite (being written).

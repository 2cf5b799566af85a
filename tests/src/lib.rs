//! The test harness: real servers on loopback (moto for DynamoDB, the stack itself over HTTP),
//! the two store backends behind one switch, and store snapshots to prove "nothing changed".

pub mod accounts;
pub mod app;
pub mod backend;
pub mod crm;
pub mod fulfilment;
pub mod moto;
pub mod payments;
pub mod queue;
pub mod webdriver;

pub use app::{Auth, TestApp};
pub use backend::Backend;

/// Runs each named async test function `fn(Backend)` once per store backend.
#[macro_export]
macro_rules! against_both_stores {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn embedded() {
                    super::$name($crate::Backend::embedded().await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn dynamodb() {
                    super::$name($crate::Backend::dynamodb().await).await
                }
            }
        )*
    };
}

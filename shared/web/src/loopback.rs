//! A router served on a loopback port until dropped: the local stand-ins for the outside
//! world (Stripe, the fulfilment provider) that tests and the dev stack talk to over HTTP.

use std::net::SocketAddr;

use axum::Router;
use tokio::sync::oneshot;

pub struct LoopbackServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl LoopbackServer {
    /// Serves `app` on `bind` (port 0: a free one); `name` says what stopped, if it fails.
    pub async fn start(bind: SocketAddr, app: Router, name: &'static str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, server = name, "local server stopped");
            }
        });
        Ok(LoopbackServer {
            addr,
            shutdown: Some(tx),
        })
    }

    /// A free port on 127.0.0.1.
    pub fn any_port() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 0))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

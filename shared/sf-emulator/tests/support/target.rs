//! A listener on loopback standing in for the store's endpoint: it keeps every request's
//! body and answers with the statuses and bodies it is told to, then with its default.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

/// One request the target received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

#[derive(Default)]
struct Script {
    received: Vec<Received>,
    answers: VecDeque<(u16, String)>,
    default: (u16, String),
}

/// A running target.
#[derive(Clone)]
pub struct Target {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

impl Target {
    /// A target answering `status` with `body` unless told otherwise.
    pub async fn start(status: u16, body: &str) -> Self {
        let script = Arc::new(Mutex::new(Script {
            default: (status, body.to_string()),
            ..Script::default()
        }));
        let app = Router::new().fallback(receive).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/events", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, script }
    }

    /// The next `times` requests are answered with `status` and `body`.
    pub fn answer_next(&self, times: usize, status: u16, body: &str) {
        let mut script = self.script.lock().unwrap();
        script
            .answers
            .extend(std::iter::repeat_n((status, body.to_string()), times));
    }

    /// Every request so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }

    /// Waits up to five seconds for at least `count` requests.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..100 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.received()
    }
}

async fn receive(
    State(script): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let mut script = script.lock().unwrap();
    script.received.push(Received {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let (status, body) = script
        .answers
        .pop_front()
        .unwrap_or_else(|| script.default.clone());
    (StatusCode::from_u16(status).unwrap(), body)
}

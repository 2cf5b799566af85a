//! A small W3C WebDriver client: Debian's Chromium, headless, driven through ChromeDriver
//! started on a free loopback port, for the tests that need a real browser.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The key under which WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// An element of the page, as the browser names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element(String);

/// What the browser answered instead of a value.
#[derive(Debug)]
pub struct WebDriverError {
    pub status: u16,
    pub error: String,
    pub message: String,
}

/// A browser session; it ends, and the driver and profile go, when dropped.
pub struct Browser {
    http: reqwest::Client,
    port: u16,
    session: String,
    driver: Child,
    profile: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium with a fresh profile.
    pub async fn start() -> Browser {
        for program in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(program).exists(),
                "{program} is missing: `make test` installs chromium and chromium-driver"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!(
            "storesync-chromium-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&profile).expect("a profile directory");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a client");
        let mut browser = Browser {
            http,
            port,
            session: String::new(),
            driver,
            profile,
        };
        browser.wait_until_ready().await;
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1400,1000",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .chain([format!("--user-data-dir={}", browser.profile.display())])
        .collect::<Vec<_>>();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let created = browser
            .command(Method::POST, "/session", Some(capabilities))
            .await
            .expect("a browser session");
        browser.session = created["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        browser
    }

    async fn wait_until_ready(&mut self) {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let status = self.command(Method::GET, "/status", None).await;
            if status.is_ok_and(|s| s["ready"] == true) {
                return;
            }
            if let Ok(Some(exit)) = self.driver.try_wait() {
                panic!("chromedriver stopped: {exit}");
            }
            assert!(Instant::now() < until, "chromedriver did not get ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One WebDriver command; its `value`.
    async fn command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WebDriverError> {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| WebDriverError {
            status: 0,
            error: "unreachable".into(),
            message: e.to_string(),
        })?;
        let status = response.status().as_u16();
        let mut answer: Value = response.json().await.unwrap_or(Value::Null);
        let value = answer["value"].take();
        if (200..300).contains(&status) {
            Ok(value)
        } else {
            Err(WebDriverError {
                status,
                error: value["error"].as_str().unwrap_or("").to_owned(),
                message: value["message"].as_str().unwrap_or("").to_owned(),
            })
        }
    }

    async fn session_command(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        self.command(method, &path, body)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e:?}"))
    }

    pub async fn goto(&self, url: &str) {
        self.session_command(Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// The first element `css` selects, if any.
    pub async fn find(&self, css: &str) -> Option<Element> {
        let path = format!("/session/{}/element", self.session);
        let query = json!({"using": "css selector", "value": css});
        match self.command(Method::POST, &path, Some(query)).await {
            Ok(found) => Some(Element(found[ELEMENT].as_str()?.to_owned())),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("{css}: {e:?}"),
        }
    }

    /// Polls until `css` selects an element, for `timeout` at most.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        let until = Instant::now() + timeout;
        loop {
            if let Some(element) = self.find(css).await {
                return element;
            }
            assert!(
                Instant::now() < until,
                "nothing matched {css} within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls until `css` selects nothing, for `timeout` at most.
    pub async fn wait_gone(&self, css: &str, timeout: Duration) {
        let until = Instant::now() + timeout;
        while self.find(css).await.is_some() {
            assert!(
                Instant::now() < until,
                "{css} still matched after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, element: &Element) {
        self.session_command(
            Method::POST,
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        )
        .await;
    }

    /// Clears a field and types `text` into it.
    pub async fn type_into(&self, element: &Element, text: &str) {
        let path = format!("/element/{}", element.0);
        self.session_command(Method::POST, &format!("{path}/clear"), Some(json!({})))
            .await;
        self.session_command(
            Method::POST,
            &format!("{path}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        let path = format!("/element/{}/attribute/{name}", element.0);
        self.session_command(Method::GET, &path, None)
            .await
            .as_str()
            .map(str::to_owned)
    }

    /// The element's text as the page shows it.
    pub async fn text(&self, element: &Element) -> String {
        let path = format!("/element/{}/text", element.0);
        let text = self.session_command(Method::GET, &path, None).await;
        text.as_str().unwrap_or("").to_owned()
    }

    /// Runs `script` in the page (`arguments[0]`, ...), answering its return value.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.session_command(
            Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// The page as a PNG image, base64-encoded as WebDriver sends it.
    pub async fn screenshot(&self) -> String {
        let png = self.session_command(Method::GET, "/screenshot", None).await;
        png.as_str().unwrap_or("").to_owned()
    }

    /// Ends the session (Chromium exits) without waiting for the drop.
    fn end_session(&mut self) {
        if self.session.is_empty() {
            return;
        }
        // Drop cannot await: a plain HTTP/1.1 DELETE on the driver's loopback port.
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session, self.port
        );
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            if stream.write_all(request.as_bytes()).is_ok() {
                let _ = stream.read_to_end(&mut Vec::new());
            }
        }
        self.session.clear();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.end_session();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

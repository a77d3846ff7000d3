//! The harness: a fresh database, the real server on port 0, keys, and a small HTTP client.

use billing_api::config::Config;
use std::sync::Arc;

use billing_api::server::{RunningServer, start_with_test_clock};
use billing_api::store::StoreHandle;
use billing_domain::entities::audit::RequestContext;
use billing_domain::services::Services;
use billing_domain::services::api_keys::CreateApiKeyInput;
use billing_store_diesel::testing::{PostgresTestDb, fresh_sqlite_url};
use reqwest::Method;
use serde_json::{Value, json};

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[allow(dead_code)]
enum Guard {
    Sqlite(tempfile::TempDir),
    Postgres(PostgresTestDb),
}

/// The system clock plus an offset the test moves forward: time travel for expiry sweeps
/// and, with `test_mode`, the server's own test clock.
pub use billing_domain::ports::TestClock;

/// A running server on a fresh database, with an admin and a service key.
pub struct TestApp {
    /// The clock the server reads.
    #[allow(dead_code)]
    pub clock: Arc<TestClock>,
    pub backend: Backend,
    pub url: String,
    pub client: reqwest::Client,
    pub admin: String,
    pub service: String,
    pub services: Services,
    #[allow(dead_code)]
    pub db_url: String,
    server: Option<RunningServer>,
    guard: Option<Guard>,
}

/// A response: status, JSON body (Null when not JSON), headers.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the standard error shape and returns `error.code`.
    pub fn error_code(&self) -> &str {
        let e = &self.body["error"];
        assert!(
            e["type"].is_string() && e["code"].is_string() && e["message"].is_string(),
            "not an error body: {}",
            self.body
        );
        assert!(
            e.get("param").is_some(),
            "error without param key: {}",
            self.body
        );
        assert!(
            self.body["request_id"].is_string(),
            "error without request_id: {}",
            self.body
        );
        assert_eq!(
            self.header("x-request-id"),
            self.body["request_id"].as_str(),
            "request id header and body differ"
        );
        e["code"].as_str().unwrap()
    }

    pub fn param(&self) -> Option<&str> {
        self.body["error"]["param"].as_str()
    }

    /// Asserts the status, printing the body on failure.
    #[track_caller]
    /// Refused input: 400 (a value breaks the document's rules) or 422 (well-formed values
    /// breaking a rule across fields or against stored data), always an
    /// `invalid_request_error`. Tests that care which assert the status itself.
    pub fn expect_refused(self) -> Self {
        assert!(
            self.status == 400 || self.status == 422,
            "unexpected status {}; body: {}",
            self.status,
            self.body
        );
        assert_eq!(
            self.body["error"]["type"], "invalid_request_error",
            "{}",
            self.body
        );
        self
    }

    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }
}

fn init_logs() {
    if std::env::var("BILLING_TEST_LOG").is_ok() {
        let mut c = Config::for_tests("memory:");
        c.log = std::env::var("BILLING_TEST_LOG").unwrap_or_default();
        billing_api::telemetry::init(&c);
    }
}

impl TestApp {
    /// Creates the database, opens and migrates the store, creates keys, starts the server.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    /// Like [`TestApp::start`], with the configuration adjusted by `configure`.
    pub async fn start_with(
        backend: Backend,
        configure: impl FnOnce(&mut Config) + Send + 'static,
    ) -> Self {
        init_logs();
        tokio::task::spawn_blocking(move || Self::start_blocking(backend, configure))
            .await
            .unwrap()
    }

    fn start_blocking(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        let (guard, db_url) = match backend {
            Backend::Sqlite => {
                let (dir, url) = fresh_sqlite_url();
                (Guard::Sqlite(dir), url)
            }
            Backend::Postgres => {
                let db = PostgresTestDb::create();
                let url = db.url().to_owned();
                (Guard::Postgres(db), url)
            }
        };
        let mut config = Config::for_tests(db_url.clone());
        configure(&mut config);
        let clock = Arc::new(TestClock::new());
        let store = StoreHandle::open(&db_url, config.db_pool_size).expect("open store");
        store.migrate().expect("migrate");
        let services = billing_api::app::services(store.repos.clone(), &config, clock.clone());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let key = |scope: &str| {
            let input = CreateApiKeyInput {
                name: Some(format!("e2e {scope}")),
                scope: Some(scope.into()),
                account_id: None,
            };
            rt.block_on(services.api_keys.create(&RequestContext::system(), input))
                .expect("create key")
                .1
                .0
        };
        let (admin, service) = (key("admin"), key("service"));
        drop(rt);
        let server = start_with_test_clock(config, store, clock.clone()).expect("start server");
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        Self {
            clock,
            backend,
            url: server.url(),
            client,
            admin,
            service,
            services,
            db_url,
            server: Some(server),
            guard: Some(guard),
        }
    }

    /// Stops the server and drops the database.
    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
        let guard = self.guard.take();
        let _ = tokio::task::spawn_blocking(move || drop(guard)).await;
    }

    /// Drops the database's files or the database itself, leaving the server running.
    pub async fn kill_database(&mut self) {
        let guard = self.guard.take();
        let _ = tokio::task::spawn_blocking(move || drop(guard)).await;
    }

    /// A request builder with an optional bearer key.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let rb = self.client.request(method, format!("{}{path}", self.url));
        match key {
            Some(k) => rb.bearer_auth(k),
            None => rb,
        }
    }

    pub async fn send(rb: reqwest::RequestBuilder) -> Resp {
        let res = rb.send().await.expect("request failed");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, key: &str, path: &str) -> Resp {
        Self::send(self.request(Method::GET, path, Some(key))).await
    }

    pub async fn post(&self, key: &str, path: &str, body: Value) -> Resp {
        Self::send(self.request(Method::POST, path, Some(key)).json(&body)).await
    }

    pub async fn post_idem(&self, key: &str, path: &str, idem: &str, body: Value) -> Resp {
        Self::send(
            self.request(Method::POST, path, Some(key))
                .header("Idempotency-Key", idem)
                .json(&body),
        )
        .await
    }

    pub async fn patch(&self, key: &str, path: &str, body: Value) -> Resp {
        Self::send(self.request(Method::PATCH, path, Some(key)).json(&body)).await
    }

    pub async fn put(&self, key: &str, path: &str, body: Value) -> Resp {
        Self::send(self.request(Method::PUT, path, Some(key)).json(&body)).await
    }

    pub async fn delete(&self, key: &str, path: &str) -> Resp {
        Self::send(self.request(Method::DELETE, path, Some(key))).await
    }

    /// Creates an account and returns its id.
    pub async fn account(&self, name: &str) -> String {
        let r = self
            .post(&self.service, "/v1/accounts", json!({ "name": name }))
            .await
            .expect(201);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// Grants credits by an admin adjustment.
    pub async fn grant(&self, account: &str, credits: i64) {
        self.post(
            &self.admin,
            &format!("/v1/accounts/{account}/credits/adjustments"),
            json!({ "credits": credits, "reason": "e2e grant" }),
        )
        .await
        .expect(201);
    }

    /// An account-scoped key for `account`.
    pub async fn account_key(&self, account: &str) -> String {
        let r = self
            .post(
                &self.admin,
                "/v1/admin/api-keys",
                json!({ "scope": "account", "account_id": account }),
            )
            .await
            .expect(201);
        r.body["secret"].as_str().unwrap().to_owned()
    }

    /// The account's balance triple.
    pub async fn balance(&self, account: &str) -> (i64, i64, i64) {
        let b = self
            .get(&self.admin, &format!("/v1/accounts/{account}/credits"))
            .await
            .expect(200)
            .body;
        (
            b["balance"].as_i64().unwrap(),
            b["held"].as_i64().unwrap(),
            b["available"].as_i64().unwrap(),
        )
    }

    /// Every ledger entry of an account, following the cursor.
    pub async fn ledger(&self, account: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut path = format!("/v1/accounts/{account}/credits/ledger?limit=100");
            if let Some(a) = &after {
                path.push_str(&format!("&starting_after={a}"));
            }
            let page = self.get(&self.admin, &path).await.expect(200).body;
            let data = page["data"].as_array().unwrap().clone();
            after = data.last().map(|e| e["id"].as_str().unwrap().to_owned());
            out.extend(data);
            if !page["has_more"].as_bool().unwrap() {
                return out;
            }
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.server.take());
    }
}

/// Generates `sqlite::<name>` and `postgres::<name>` tests calling `async fn <name>(app: &TestApp)`.
#[macro_export]
macro_rules! backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::support::TestApp::start($crate::support::Backend::Sqlite).await;
                    super::$name(&app).await;
                    app.stop().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::support::TestApp::start($crate::support::Backend::Postgres).await;
                    super::$name(&app).await;
                    app.stop().await;
                }
            )*
        }
    };
}

/// Generates `<sqlite_mod>::<name>` and `<postgres_mod>::<name>` tests calling
/// `async fn <name>(backend: Backend)`, for tests that start their own server (with a
/// gateway stub, say).
#[macro_export]
macro_rules! backend_fns {
    ($sqlite:ident, $postgres:ident; $($name:ident),* $(,)?) => {
        mod $sqlite { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name($crate::support::Backend::Sqlite).await; })* }
        mod $postgres { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name($crate::support::Backend::Postgres).await; })* }
    };
}

//! Health, readiness (503 when the database is gone), metrics.

use reqwest::Method;

use crate::support::{Backend, TestApp};

crate::backends!(health_ready_and_metrics);

async fn health_ready_and_metrics(app: &TestApp) {
    let r = TestApp::send(app.request(Method::GET, "/healthz", None))
        .await
        .expect(200);
    assert_eq!(r.body["status"], "ok");
    let r = TestApp::send(app.request(Method::GET, "/readyz", None))
        .await
        .expect(200);
    assert_eq!(
        r.body["backend"],
        if app.backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
    let res = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains(
            "billing_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("# TYPE billing_http_request_duration_seconds histogram"));
}

async fn database_gone_is_503(backend: Backend) {
    let mut app = TestApp::start(backend).await;
    let acct = app.account("Acme").await;
    app.kill_database().await;
    let r = TestApp::send(app.request(Method::GET, "/readyz", None))
        .await
        .expect(503);
    assert_eq!(r.error_code(), "service_unavailable");
    assert_eq!(r.body["error"]["type"], "api_error");
    let text = r.body.to_string();
    assert!(
        !text.contains("billing_test_") && !text.contains("billing.db"),
        "no internals leak: {text}"
    );
    if backend == Backend::Postgres {
        // every request needing the database answers 503, never a panic or a hang
        let r = app
            .get(&app.service, &format!("/v1/accounts/{acct}"))
            .await
            .expect(503);
        assert_eq!(r.error_code(), "service_unavailable");
        let r = app
            .post(
                &app.service,
                "/v1/accounts",
                serde_json::json!({ "name": "x" }),
            )
            .await
            .expect(503);
        assert_eq!(r.error_code(), "service_unavailable");
    }
    TestApp::send(app.request(Method::GET, "/healthz", None))
        .await
        .expect(200);
    app.stop().await;
}

mod sqlite_down {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn database_gone_is_503() {
        super::database_gone_is_503(super::Backend::Sqlite).await;
    }
}

mod postgres_down {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn database_gone_is_503() {
        super::database_gone_is_503(super::Backend::Postgres).await;
    }
}

#[tokio::test]
async fn unreachable_database_fails_start_up_cleanly() {
    let config = billing_api::config::Config::for_tests("postgres://postgres@127.0.0.1:1/nothing");
    let started =
        tokio::task::spawn_blocking(move || billing_api::server::start(config).map(|_| ()))
            .await
            .unwrap();
    let err = started.expect_err("cannot start without a database");
    assert!(err.to_string().contains("database"), "{err}");
}

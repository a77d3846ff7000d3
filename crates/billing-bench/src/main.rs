//! `bench-bare`: the read ceiling for `make bench`.
//!
//! The least an actix-web + r2d2 + Diesel service can do per balance read: one pooled
//! primary-key `SELECT` on `credit_balances`, no auth, no logging, no middleware. The billing
//! server's `GET /v1/accounts/{id}/credits` is measured against it in the same run.
//!
//! Usage: `DATABASE_URL=postgres://… BIND=127.0.0.1:18081 POOL_SIZE=16 WORKERS=2 bench-bare`;
//! `GET /balance/{account_id}`.

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sql_types::{BigInt, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use serde::Serialize;

type DbPool = Pool<ConnectionManager<PgConnection>>;

#[derive(QueryableByName, Serialize)]
struct Balance {
    #[diesel(sql_type = BigInt)]
    balance: i64,
    #[diesel(sql_type = BigInt)]
    held: i64,
}

async fn balance(pool: web::Data<DbPool>, id: web::Path<String>) -> HttpResponse {
    let pool = pool.into_inner();
    let id = id.into_inner();
    let row = web::block(move || -> Result<Balance, String> {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        diesel::sql_query("SELECT balance, held FROM credit_balances WHERE account_id = $1")
            .bind::<Text, _>(id)
            .get_result::<Balance>(&mut conn)
            .map_err(|e| e.to_string())
    })
    .await;
    match row {
        Ok(Ok(b)) => HttpResponse::Ok().json(b),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| std::io::Error::other("DATABASE_URL is required"))?;
    let bind: String = env_or("BIND", "127.0.0.1:18081".to_owned());
    let pool_size: u32 = env_or("POOL_SIZE", 16);
    let workers: usize = env_or("WORKERS", 2);
    // Same pool settings as the billing server, so the comparison is about the request path.
    let pool = Pool::builder()
        .max_size(pool_size)
        .min_idle(Some(pool_size))
        .test_on_check_out(false)
        .build(ConnectionManager::<PgConnection>::new(url))
        .map_err(std::io::Error::other)?;
    let data = web::Data::new(pool);
    HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/balance/{id}", web::get().to(balance))
    })
    .workers(workers)
    .bind(bind)?
    .run()
    .await
}
